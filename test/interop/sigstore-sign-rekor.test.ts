/**
 * Interop: @sigstore/sign's Rekor client, pointed at our log, submits hashedrekord and dsse entries; the
 * bundles it builds from our answers verify with @sigstore/verify given our log key in a TrustedRoot.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness, type Signer } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { type RunningTlog, startTlog } from '../../src/tlog/index.js';

describe('interop: @sigstore/sign → sigil tlog → @sigstore/verify', () => {
  let tlog: RunningTlog;
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const signer: Signer = {
    sign: async (data) => ({
      signature: await keySigner(privateKey).sign(data),
      key: { $case: 'publicKey', publicKey: publicKeyPem(publicKey) },
    }),
  };

  before(async () => {
    tlog = await startTlog({
      host: '127.0.0.1',
      port: 0,
      dataDir: await mkdtemp(join(tmpdir(), 'sigil-tlog-')),
      intervalMs: 5,
    });
  });
  after(() => tlog?.close());

  function verifier(timestampThreshold = 1): Verifier {
    const keyDer = tlog.log.key.publicKey.export({ type: 'spki', format: 'der' });
    const root: TrustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: tlog.url,
          hashAlgorithm: 1, // SHA2_256
          publicKey: { rawBytes: keyDer, keyDetails: 5, validFor: { start: new Date(Date.now() - 60_000) } }, // PKIX_ECDSA_P256_SHA_256
          logId: { keyId: tlog.log.key.logId },
          checkpointKeyId: undefined,
          operator: 'sigil test',
        },
      ],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    };
    const trust = toTrustMaterial(root, () => ({ publicKey, validFor: () => true }));
    return new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold });
  }

  it('logs a hashedrekord entry whose bundle verifies (SET, inclusion proof, checkpoint)', async () => {
    const builder = new MessageSignatureBundleBuilder({
      signer,
      witnesses: [new RekorWitness({ rekorBaseURL: tlog.url })],
    });
    const data = Buffer.from('artifact for the log');
    const bundle = await builder.create({ data });
    const entry = bundle.verificationMaterial.tlogEntries[0];
    assert.equal(entry?.kindVersion?.kind, 'hashedrekord');
    assert.ok(entry?.inclusionProof?.checkpoint?.envelope.includes(' - '));
    verifier().verify(toSignedEntity(bundle, data));
    assert.throws(() => verifier().verify(toSignedEntity(bundle, Buffer.from('another artifact'))));
  });

  it('logs a dsse entry whose bundle verifies', async () => {
    const builder = new DSSEBundleBuilder({
      signer,
      witnesses: [new RekorWitness({ rekorBaseURL: tlog.url })],
    });
    const bundle = await builder.create({
      data: Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'),
      type: 'application/vnd.in-toto+json',
    });
    assert.equal(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind, 'dsse');
    verifier().verify(toSignedEntity(bundle));
  });

  it('logs an intoto 0.0.2 entry whose bundle verifies', async () => {
    const witness = new RekorWitness({ rekorBaseURL: tlog.url, entryType: 'intoto' });
    const builder = new DSSEBundleBuilder({ signer, witnesses: [witness] });
    const bundle = await builder.create({
      data: Buffer.from('{"_type":"https://in-toto.io/Statement/v1","n":2}'),
      type: 'application/vnd.in-toto+json',
    });
    assert.equal(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind, 'intoto');
    verifier().verify(toSignedEntity(bundle));
  });

  for (const kind of ['hashedrekord', 'dsse'] as const) {
    it(`logs a Rekor v2 ${kind} 0.0.2 entry (majorApiVersion 2) whose bundle verifies`, async () => {
      const witness = new RekorWitness({ rekorBaseURL: tlog.url, majorApiVersion: 2 });
      const bundle =
        kind === 'hashedrekord'
          ? await new MessageSignatureBundleBuilder({ signer, witnesses: [witness] }).create({
              data: Buffer.from('v2 artifact'),
            })
          : await new DSSEBundleBuilder({ signer, witnesses: [witness] }).create({
              data: Buffer.from('{"v":2}'),
              type: 'application/vnd.in-toto+json',
            });
      const entry = bundle.verificationMaterial.tlogEntries[0];
      assert.deepEqual(entry?.kindVersion, { kind, version: '0.0.2' });
      assert.equal(entry?.inclusionPromise, undefined);
      // v2 entries carry no signed time; key-based verification needs none.
      const trust = verifier(0);
      trust.verify(
        kind === 'hashedrekord' ? toSignedEntity(bundle, Buffer.from('v2 artifact')) : toSignedEntity(bundle),
      );
      if (kind === 'hashedrekord')
        assert.throws(() => verifier(0).verify(toSignedEntity(bundle, Buffer.from('other'))));
    });
  }

  it('answers a resubmission with 409 and the existing entry (fetchOnConflict)', async () => {
    const witness = new RekorWitness({ rekorBaseURL: tlog.url, fetchOnConflict: true });
    const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [witness] });
    const data = Buffer.from('same artifact twice');
    // ECDSA signatures differ each time, so sign once and submit the same entry twice by hand.
    const first = await builder.create({ data });
    const entry = first.verificationMaterial.tlogEntries[0];
    const body = JSON.parse(Buffer.from(entry?.canonicalizedBody ?? '').toString());
    const again = await fetch(`${tlog.url}/api/v1/log/entries`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(again.status, 409);
    assert.match(again.headers.get('location') ?? '', /\/api\/v1\/log\/entries\/[0-9a-f]{80}$/);
  });
});
