/**
 * `attach signature` / `attach attestation` / `download signature` / `download attestation` through the
 * `sigil` binary, against the embedded registry and the real distribution registry: signatures and DSSE
 * envelopes made outside sigil (openssl, node:crypto, sign-blob, attest-blob) are attached and then
 * verified and downloaded as they went in; content about another image, unverifiable signatures, garbage
 * and malformed files are refused or fail verification, and nothing half-made is pushed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { buildSimpleSigningPayload, preAuthEncoding } from '../../src/formats/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { startRegistry } from '../../src/oci/registry/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { commandExists, peerMissing } from '../helpers/peers.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const IN_TOTO = 'application/vnd.in-toto+json';

interface StartedRegistry {
  address: string;
  close(): Promise<void>;
}

/** A DSSE envelope as an outside tool writes it: an in-toto statement about `digest`, signed with `key`. */
function envelopeJson(
  key: KeyObject,
  digest: string,
  predicateType: string,
  payloadType = IN_TOTO,
): Record<string, unknown> {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'app', digest: { sha256: digest.slice('sha256:'.length) } }],
    predicateType,
    predicate: { made: 'outside' },
  };
  const payload = Buffer.from(JSON.stringify(statement));
  return {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [
      { keyid: '', sig: sign('sha256', preAuthEncoding(payloadType, payload), key).toString('base64') },
    ],
  };
}

function attachDownloadSuite(
  name: string,
  start: () => Promise<StartedRegistry>,
  skip: string | false,
): void {
  describe(`attach / download: ${name}`, { skip }, () => {
    let registry: StartedRegistry;
    let dir: string;
    const client = new RegistryClient({});
    const outside = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const run = (args: string[], input?: string) =>
      sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: 'pw' }, ...(input !== undefined ? { input } : {}) });
    const image = (repo: string, tagOrDigest = ':v1') => `${registry.address}/${repo}${tagOrDigest}`;
    const verifyAttestation = (key: string, type: string, repo: string) =>
      run(['verify-attestation', '--key', key, '--insecure-ignore-tlog', '--type', type, image(repo)]);
    const push = (repo: string, content = repo): Promise<Digest> =>
      pushTestImage(client, parseReference(image(repo)), { files: { 'file.txt': content } });
    const file = async (fileName: string, content: string | Uint8Array) => {
      await writeFile(join(dir, fileName), content);
      return fileName;
    };
    const payloadFor = (repo: string, digest: Digest) =>
      buildSimpleSigningPayload(`${registry.address}/${repo}`, digest);
    const verifyKey = (key: string, repo: string) =>
      run(['verify', '--key', key, '--insecure-ignore-tlog', image(repo)]);

    before(async () => {
      registry = await start();
      dir = await workDir();
      await writeFile(join(dir, 'outside.pub'), outside.publicKey.export({ type: 'spki', format: 'pem' }));
      assert.equal((await run(['generate-key-pair'])).code, 0);
    });
    after(() => registry?.close());

    it('attaches a raw openssl signature; verify accepts it and download gives back what went in', async (t) => {
      if (!commandExists('openssl')) return t.skip('openssl is not installed');
      const digest = await push('openssl');
      const payload = payloadFor('openssl', digest);
      await file('payload.json', payload);
      execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.pem'], {
        cwd: dir,
      });
      execFileSync('openssl', ['ec', '-in', 'ec.pem', '-pubout', '-out', 'ec.pub'], {
        cwd: dir,
        stdio: 'ignore',
      });
      execFileSync('openssl', ['dgst', '-sha256', '-sign', 'ec.pem', '-out', 'payload.sig', 'payload.json'], {
        cwd: dir,
      });
      const attached = await run([
        'attach',
        'signature',
        '--payload',
        'payload.json',
        '--signature',
        'payload.sig',
        '--output',
        'json',
        image('openssl'),
      ]);
      assert.equal(attached.code, 0, attached.stderr);
      assert.deepEqual(JSON.parse(attached.stdout), {
        image: image('openssl'),
        digest,
        reference: `${registry.address}/openssl:sha256-${digest.slice(7)}.sig`,
        added: 1,
      });
      const verified = await verifyKey('ec.pub', 'openssl');
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal((await verifyKey('outside.pub', 'openssl')).code, 1);

      const downloaded = await run(['download', 'signature', image('openssl')]);
      assert.equal(downloaded.code, 0, downloaded.stderr);
      const signature = await readFile(join(dir, 'payload.sig'));
      assert.equal(
        downloaded.stdout,
        `${JSON.stringify({
          Base64Signature: signature.toString('base64'),
          Payload: payload.toString('base64'),
          Cert: null,
          Chain: null,
          Bundle: null,
          RFC3161Timestamp: null,
        })}\n`,
      );
    });

    it('attaches a base64 sign-blob signature from stdin, once, next to an existing one', async () => {
      const digest = await push('blob');
      await file('blob-payload.json', payloadFor('blob', digest));
      const signed = await run([
        'sign-blob',
        '--key',
        'cosign.key',
        '--tlog-upload=false',
        'blob-payload.json',
      ]);
      assert.equal(signed.code, 0, signed.stderr);
      const attach = () =>
        run(
          ['attach', 'signature', '--payload', 'blob-payload.json', '--signature', '-', image('blob')],
          signed.stdout,
        );
      assert.equal((await attach()).code, 0);
      const again = await attach();
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /nothing added/);
      const external = sign('sha256', payloadFor('blob', digest), outside.privateKey);
      await file('outside.sig', external);
      const second = await run([
        'attach',
        'signature',
        '--payload',
        'blob-payload.json',
        '--signature',
        'outside.sig',
        image('blob', `@${digest}`),
      ]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal((await verifyKey('cosign.pub', 'blob')).code, 0);
      assert.equal((await verifyKey('outside.pub', 'blob')).code, 0);
      const lines = (await run(['download', 'signature', image('blob')])).stdout.trim().split('\n');
      assert.deepEqual(
        lines.map((l) => JSON.parse(l).Base64Signature),
        [signed.stdout.trim(), external.toString('base64')],
      );
    });

    it('stores the certificate, chain, log bundle and timestamp, and download prints them as cosign does', async (t) => {
      if (!commandExists('openssl')) return t.skip('openssl is not installed');
      const digest = await push('material');
      await file('m-payload.json', payloadFor('material', digest));
      await file(
        'm.sig',
        sign('sha256', payloadFor('material', digest), outside.privateKey).toString('base64'),
      );
      await writeFile(join(dir, 'outside.key'), outside.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-x509',
          '-key',
          'outside.key',
          '-subj',
          '/CN=attach-test',
          '-days',
          '1',
          '-out',
          'c.pem',
        ],
        { cwd: dir },
      );
      const rekorBundle = {
        SignedEntryTimestamp: 'AAEC',
        Payload: { body: 'e30=', integratedTime: 1700000000, logIndex: 7, logID: 'ab12' },
      };
      await file('rekor.json', JSON.stringify({ base64Signature: 'AAEC', rekorBundle }));
      await file('ts.tsr', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]));
      const attached = await run([
        'attach',
        'signature',
        '--payload',
        'm-payload.json',
        '--signature',
        'm.sig',
        '--certificate',
        'c.pem',
        '--certificate-chain',
        'c.pem',
        '--rekor-response',
        'rekor.json',
        '--tsr',
        'ts.tsr',
        image('material'),
      ]);
      assert.equal(attached.code, 0, attached.stderr);
      const [line, ...rest] = (await run(['download', 'signature', image('material')])).stdout
        .trim()
        .split('\n');
      assert.equal(rest.length, 0);
      const downloaded = JSON.parse(line ?? '');
      assert.deepEqual(Object.keys(downloaded), [
        'Base64Signature',
        'Payload',
        'Cert',
        'Chain',
        'Bundle',
        'RFC3161Timestamp',
      ]);
      const der = execFileSync('openssl', ['x509', '-in', 'c.pem', '-outform', 'DER'], { cwd: dir });
      assert.equal(downloaded.Cert.Raw, der.toString('base64'));
      assert.equal(downloaded.Cert.Version, 3);
      assert.deepEqual(
        downloaded.Chain.map((c: { Raw: string }) => c.Raw),
        [der.toString('base64')],
      );
      assert.deepEqual(downloaded.Bundle, rekorBundle);
      assert.deepEqual(downloaded.RFC3161Timestamp, { SignedRFC3161Timestamp: 'MAMCAQA=' });
    });

    it('refuses a payload for another digest, a foreign payload, and garbage or empty signatures', async () => {
      const digest = await push('refused');
      const other = await push('other');
      await file('other-payload.json', payloadFor('other', other));
      await file('good.sig', sign('sha256', payloadFor('refused', digest), outside.privateKey));
      await file('refused-payload.json', payloadFor('refused', digest));
      await file('foreign.json', '{"hello":"world"}');
      await file('garbage.sig', 'this is not a signature\n');
      await file('short.sig', 'AAAA');
      await file('empty.sig', '\n');
      const attach = (payload: string, signature: string) =>
        run(['attach', 'signature', '--payload', payload, '--signature', signature, image('refused')]);

      const wrongDigest = await attach('other-payload.json', 'good.sig');
      assert.equal(wrongDigest.code, 1);
      assert.match(errorLine(wrongDigest), new RegExp(`is for digest ${other}, not .*refused@${digest}`));
      assert.match(
        errorLine(await attach('foreign.json', 'good.sig')),
        /foreign\.json.*no "critical" object/,
      );
      assert.match(
        errorLine(await attach('refused-payload.json', 'garbage.sig')),
        /garbage\.sig: not base64, and its 24 bytes, which are not an ECDSA/,
      );
      assert.match(
        errorLine(await attach('refused-payload.json', 'short.sig')),
        /base64 that decodes to 3 bytes/,
      );
      assert.match(errorLine(await attach('refused-payload.json', 'empty.sig')), /empty\.sig is empty/);
      assert.match(
        errorLine(await attach('refused-payload.json', 'missing.sig')),
        /signature missing\.sig: no such file/,
      );

      const none = await run(['download', 'signature', image('refused')]);
      assert.equal(none.code, 1);
      assert.match(errorLine(none), /no signatures associated/);
    });

    it('attaches a signature that does not verify; verify then fails and says why', async () => {
      const digest = await push('forged');
      await file('forged-payload.json', payloadFor('forged', digest));
      // A valid-looking signature over different bytes: attach cannot tell, verify must.
      await file('forged.sig', sign('sha256', Buffer.from('something else'), outside.privateKey));
      const attached = await run([
        'attach',
        'signature',
        '--payload',
        'forged-payload.json',
        '--signature',
        'forged.sig',
        image('forged'),
      ]);
      assert.equal(attached.code, 0, attached.stderr);
      const verified = await verifyKey('outside.pub', 'forged');
      assert.equal(verified.code, 1);
      assert.match(errorLine(verified), /no matching signatures.*invalid signature/);
    });

    it('refuses to attach to or download from a missing image', async () => {
      await file('any-payload.json', payloadFor('ghost', `sha256:${'0'.repeat(64)}`));
      await file('any.sig', sign('sha256', Buffer.from('x'), outside.privateKey));
      const byTag = await run([
        'attach',
        'signature',
        '--payload',
        'any-payload.json',
        '--signature',
        'any.sig',
        image('ghost'),
      ]);
      assert.equal(byTag.code, 1);
      assert.match(errorLine(byTag), /ghost:v1 not found/);
      const byDigest = await run([
        'attach',
        'signature',
        '--payload',
        'any-payload.json',
        '--signature',
        'any.sig',
        image('ghost', `@sha256:${'0'.repeat(64)}`),
      ]);
      assert.equal(byDigest.code, 1);
      assert.match(errorLine(byDigest), /ghost@sha256:0+ not found/);
      for (const kind of ['signature', 'attestation']) {
        const downloaded = await run(['download', kind, image('ghost')]);
        assert.equal(downloaded.code, 1);
        assert.match(errorLine(downloaded), /not found/);
      }
    });

    it('attaches DSSE envelopes made outside; verify-attestation and download accept them', async () => {
      const digest = await push('att');
      const slsa = envelopeJson(outside.privateKey, digest, SLSA);
      const vuln = envelopeJson(outside.privateKey, digest, VULN);
      await file('atts.jsonl', `${JSON.stringify(slsa)}\n${JSON.stringify(vuln)}\n`);
      await file('pretty.json', JSON.stringify(slsa, null, 2));
      const attached = await run(['attach', 'attestation', '--attestation', 'atts.jsonl', image('att')]);
      assert.equal(attached.code, 0, attached.stderr);
      const pretty = await run(['attach', 'attestation', '--attestation', 'pretty.json', image('att')]);
      assert.match(pretty.stderr, /nothing added/);

      for (const type of [SLSA, VULN]) {
        const verified = await verifyAttestation('outside.pub', type, 'att');
        assert.equal(verified.code, 0, verified.stderr);
      }
      const wrongKey = await verifyAttestation('cosign.pub', SLSA, 'att');
      assert.equal(wrongKey.code, 1);

      const all = await run(['download', 'attestation', image('att')]);
      assert.equal(all.code, 0, all.stderr);
      assert.deepEqual(
        all.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
        [slsa, vuln],
      );
      const filtered = await run(['download', 'attestation', '--predicate-type', 'vuln', image('att')]);
      assert.deepEqual(JSON.parse(filtered.stdout), vuln);
      const none = await run([
        'download',
        'attestation',
        '--predicate-type',
        'https://example.com/x',
        image('att'),
      ]);
      assert.equal(none.code, 1);
      assert.match(errorLine(none), /no attestations with predicate type 'https:\/\/example.com\/x' found/);
      await push('no-atts');
      const noAtts = await run(['download', 'attestation', image('no-atts')]);
      assert.equal(noAtts.code, 0, noAtts.stderr);
      assert.equal(noAtts.stdout, '');
    });

    it('attaches an attest-blob bundle as a referrer and its envelope to .att; both come back', async () => {
      const digest = await push('bundled');
      await file('predicate.json', JSON.stringify({ buildDefinition: { buildType: 'x' }, runDetails: {} }));
      const made = await run([
        'attest-blob',
        '--key',
        'cosign.key',
        '--type',
        'slsaprovenance1',
        '--predicate',
        'predicate.json',
        '--hash',
        digest.slice('sha256:'.length),
        '--tlog-upload=false',
        '--bundle',
        'att.sigstore.json',
      ]);
      assert.equal(made.code, 0, made.stderr);
      const bundle = JSON.parse(await readFile(join(dir, 'att.sigstore.json'), 'utf8'));
      await file('envelope.json', JSON.stringify(bundle.dsseEnvelope));
      for (const attestation of ['att.sigstore.json', 'envelope.json']) {
        const attached = await run(['attach', 'attestation', '--attestation', attestation, image('bundled')]);
        assert.equal(attached.code, 0, attached.stderr);
      }
      const verified = await verifyAttestation('cosign.pub', SLSA, 'bundled');
      assert.equal(verified.code, 0, verified.stderr);
      const lines = (await run(['download', 'attestation', image('bundled')])).stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.deepEqual(JSON.parse(lines[0] ?? ''), bundle);
      assert.equal(JSON.parse(lines[1] ?? '').payload, bundle.dsseEnvelope.payload);
      // cosign v3: once an image has bundles, download signature prints them instead of the .sig layers.
      const signatures = await run(['download', 'signature', image('bundled')]);
      assert.equal(signatures.code, 0, signatures.stderr);
      assert.deepEqual(JSON.parse(signatures.stdout), bundle);
    });

    it('refuses malformed, foreign and mistyped attestations, and pushes none of a file with one bad', async () => {
      const digest = await push('bad-att');
      const other = await push('other-att');
      const good = JSON.stringify(envelopeJson(outside.privateKey, digest, SLSA));
      await file('malformed.json', '{"payloadType": "application/vnd.in-toto+json", ');
      await file('foreign-att.json', JSON.stringify(envelopeJson(outside.privateKey, other, SLSA)));
      await file('typed.json', JSON.stringify(envelopeJson(outside.privateKey, digest, SLSA, 'text/plain')));
      await file(
        'mixed.jsonl',
        `${good}\n${JSON.stringify(envelopeJson(outside.privateKey, other, SLSA))}\n`,
      );
      await file('unsigned.json', JSON.stringify({ payloadType: IN_TOTO, payload: 'e30=', signatures: [] }));
      const attach = (name: string) =>
        run(['attach', 'attestation', '--attestation', name, image('bad-att')]);

      assert.match(errorLine(await attach('malformed.json')), /malformed\.json.*malformed JSON/);
      assert.match(
        errorLine(await attach('foreign-att.json')),
        new RegExp(`about sha256:${other.slice(7)}, not ${digest}`),
      );
      assert.match(
        errorLine(await attach('typed.json')),
        /payloadType is text\/plain, expected application\/vnd\.in-toto\+json/,
      );
      assert.match(errorLine(await attach('mixed.jsonl')), /mixed\.jsonl line 2: the statement is about/);
      assert.match(errorLine(await attach('unsigned.json')), /has no signatures/);
      const downloaded = await run(['download', 'attestation', image('bad-att')]);
      assert.equal(downloaded.code, 0, downloaded.stderr);
      assert.equal(downloaded.stdout, '', 'nothing was attached');
    });
  });
}

attachDownloadSuite(
  'embedded registry',
  async () =>
    startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await mkdtemp(join(tmpdir(), 'sigil-reg-')), 'data'),
    }),
  false,
);

attachDownloadSuite(
  'distribution registry',
  startDockerRegistry,
  peerMissing('docker-registry', dockerRegistryInstalled()),
);
