import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { type DsseEnvelope, dsseEnvelopeJson, preAuthEncoding } from '../../src/formats/index.js';
import {
  acceptProposedEntry,
  acceptV2Request,
  assertEnvelopeBodyMatches,
  dsseProposal,
  intotoProposal,
} from '../../src/tlog/index.js';

const { privateKey, publicKey } = generateKeyPair();
const other = generateKeyPair().publicKey;
const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64');
const pem = (key = publicKey) => publicKeyPem(key);
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
const type = 'application/vnd.in-toto+json';
const sig = await keySigner(privateKey).sign(preAuthEncoding(type, payload));

function dsse(envelopePayload = payload, verifier = pem()) {
  const envelope = JSON.stringify({
    payloadType: type,
    payload: envelopePayload.toString('base64'),
    signatures: [{ sig: sig.toString('base64') }],
  });
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope, verifiers: [b64(verifier)] } },
  };
}

/** The envelope hash the client sends (cosign: of its stored envelope bytes); the log keeps it as sent. */
const ENVELOPE_HASH = 'e'.repeat(64);

function intoto(envelopePayload = payload, key = pem(), payloadHash?: string, hash: unknown = ENVELOPE_HASH) {
  return {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: {
          payloadType: type,
          payload: b64(b64(envelopePayload)),
          signatures: [{ sig: b64(b64(sig)), publicKey: b64(key) }],
        },
        ...(payloadHash ? { payloadHash: { algorithm: 'sha256', value: payloadHash } } : {}),
        ...(hash ? { hash: typeof hash === 'string' ? { algorithm: 'sha256', value: hash } : hash } : {}),
      },
    },
  };
}

function rejected(entry: unknown, fragment: string): void {
  assert.throws(
    () => acceptProposedEntry(entry),
    (err) =>
      (isSigilError(err, 'BAD_INPUT') || isSigilError(err, 'BAD_JSON')) && err.message.includes(fragment),
  );
}

describe('log entry kinds', () => {
  it('accepts dsse and intoto entries and stores canonical bodies without the intoto payload', () => {
    const d = acceptProposedEntry(dsse());
    assert.equal(JSON.parse(d.body.toString()).kind, 'dsse');
    const i = acceptProposedEntry(intoto());
    const body = JSON.parse(i.body.toString());
    assert.equal(body.spec.content.envelope.payload, undefined);
    assert.equal(body.spec.content.payloadHash.value.length, 64);
    assert.deepEqual(Object.keys(body), ['apiVersion', 'kind', 'spec']);
    // The envelope hash is the client's (over the bytes it pushes), as Rekor keeps it: cosign's
    // verify-attestation compares it with the attestation layer.
    assert.equal(body.spec.content.hash.value, ENVELOPE_HASH);
  });

  it('rejects an intoto entry without a sha256 envelope hash, as Rekor does', () => {
    rejected(intoto(payload, pem(), undefined, null), 'spec.content.hash');
    rejected(intoto(payload, pem(), undefined, 'E'.repeat(64)), 'spec.content.hash is not a sha256 digest');
    rejected(intoto(payload, pem(), undefined, { algorithm: 'sha512', value: 'e'.repeat(64) }), 'sha256');
  });

  it('rejects a dsse envelope whose payload was changed or whose verifier did not sign it', () => {
    rejected(dsse(Buffer.from('{"changed":true}')), 'does not verify');
    rejected(dsse(payload, pem(other)), 'does not verify');
    rejected(
      { ...dsse(), spec: { proposedContent: { envelope: '{', verifiers: [b64(pem())] } } },
      'envelope',
    );
  });

  it('rejects an intoto entry with a changed payload, a wrong key or a false payload hash', () => {
    rejected(intoto(Buffer.from('{"changed":true}')), 'does not verify');
    rejected(intoto(payload, pem(other)), 'does not verify');
    rejected(intoto(payload, pem(), 'a'.repeat(64)), 'payloadHash');
  });

  it("keeps an intoto entry's proposed envelope hash, as Rekor does, and refuses a malformed one", () => {
    const proposed = intoto();
    const hash = { algorithm: 'sha256', value: 'b'.repeat(64) };
    Object.assign(proposed.spec.content, { hash });
    const body = JSON.parse(acceptProposedEntry(proposed).body.toString());
    assert.deepEqual(body.spec.content.hash, hash);
    Object.assign(proposed.spec.content, { hash: { algorithm: 'sha1', value: 'b'.repeat(40) } });
    rejected(proposed, 'spec.content.hash');
  });

  it('rejects unknown kinds and versions', () => {
    rejected({ ...dsse(), apiVersion: '0.0.9' }, 'unsupported entry kind dsse 0.0.9');
    rejected({ kind: 'hashedrekord' }, 'apiVersion');
  });
});

const v2Data = Buffer.from('v2 data');
const v2Signature = await keySigner(privateKey).sign(v2Data);

describe('Rekor v2 write requests', () => {
  const digest = createHash('sha256').update(v2Data).digest();
  const signature = v2Signature;
  const request = (d: Buffer, key = publicKey) => ({
    hashedRekordRequestV002: {
      digest: d.toString('base64'),
      signature: {
        content: signature.toString('base64'),
        verifier: {
          publicKey: { rawBytes: key.export({ type: 'spki', format: 'der' }).toString('base64') },
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        },
      },
    },
  });

  it('accepts a valid hashedRekordRequestV002 as a hashedrekord 0.0.2 entry', () => {
    const accepted = acceptV2Request(request(digest));
    assert.equal(accepted.apiVersion, '0.0.2');
    assert.equal(JSON.parse(accepted.body.toString()).spec.hashedRekordV002.data.algorithm, 'SHA2_256');
  });

  it('rejects another digest, another key and empty requests', () => {
    const fail = (input: unknown, fragment: string) =>
      assert.throws(
        () => acceptV2Request(input),
        (err) => isSigilError(err, 'BAD_INPUT') && err.message.includes(fragment),
      );
    fail(request(Buffer.alloc(32, 1)), 'does not verify');
    fail(request(digest, other), 'does not verify');
    fail(request(Buffer.alloc(5)), '32-byte');
    fail({}, 'neither');
  });

  it('a key remembered from an accepted request never verifies a request naming another key', () => {
    assert.equal(acceptV2Request(request(digest)).apiVersion, '0.0.2');
    assert.throws(() => acceptV2Request(request(digest, other)), /does not verify/);
    const otherSigned = request(digest);
    otherSigned.hashedRekordRequestV002.signature.content = Buffer.alloc(signature.length, 1).toString(
      'base64',
    );
    assert.throws(() => acceptV2Request(otherSigned), /does not verify/);
    assert.equal(acceptV2Request(request(digest)).apiVersion, '0.0.2');
  });
});

describe('search keys of certificate signers', () => {
  it('files a hashedrekord signed under a certificate by its SAN email and URI', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createPrivateKey } = await import('node:crypto');
    const dir = mkdtempSync(join(tmpdir(), 'sigil-cert-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=ci',
        '-days',
        '1',
        '-addext',
        'subjectAltName=email:CI@Example.com,URI:https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const certKey = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    const data = Buffer.from('certified');
    const accepted = acceptProposedEntry({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(data).digest('hex') } },
        signature: {
          content: (await keySigner(certKey).sign(data)).toString('base64'),
          publicKey: { content: b64(readFileSync(join(dir, 'cert.pem'))) },
        },
      },
    });
    assert.ok(accepted.indexKeys.includes('email:ci@example.com'));
    assert.ok(
      accepted.indexKeys.includes(
        'subject:https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main',
      ),
    );
  });
});

describe('attestation log entries', () => {
  const envelope: DsseEnvelope = { payloadType: type, payload, signatures: [{ sig }] };
  const bodyOf = (proposal: Record<string, unknown>) => acceptProposedEntry(proposal).body.toString('base64');

  it("hashes the intoto envelope as stored in the .att layer, which cosign checks against the layer's bytes", () => {
    const proposal = intotoProposal(envelope, pem()) as { spec: { content: { hash: { value: string } } } };
    const layer = dsseEnvelopeJson(envelope);
    assert.equal(proposal.spec.content.hash.value, createHash('sha256').update(layer).digest('hex'));
  });

  it('matches an .att envelope to its intoto 0.0.2 (cosign v2) or dsse 0.0.1 (cosign v3) entry, by key', () => {
    for (const body of [bodyOf(intotoProposal(envelope, pem())), bodyOf(dsseProposal(envelope, pem()))]) {
      assertEnvelopeBodyMatches(body, envelope, publicKey);
      assert.throws(() => assertEnvelopeBodyMatches(body, envelope, other), /no logged signature/);
      const changed = { ...envelope, payload: Buffer.from('{"changed":true}') };
      assert.throws(() => assertEnvelopeBodyMatches(body, changed, publicKey), /payload hash differs/);
    }
    const hashed = Buffer.from(JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: {} }));
    assert.throws(
      () => assertEnvelopeBodyMatches(hashed.toString('base64'), envelope, publicKey),
      /hashedrekord 0\.0\.1, not intoto 0\.0\.2 or dsse 0\.0\.1/,
    );
  });
});
