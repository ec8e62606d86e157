/**
 * RFC 3161 countersignatures and revocation inside Notation verification: signatures countersigned by
 * sigil's own TSA (the server of `sigil tsa serve`) and certificates made by `openssl`, verified by
 * verifyNotationSignatures with the real timestamp verifier and revocation checker (OpenSSL's OCSP
 * responder, CRLs from `openssl ca`): trusted and untrusted TSAs, a token over other bytes, expired and
 * not-yet-valid signing certificates, revoked TSAs and signers, an unreachable responder per level.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, type X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/core/index.js';
import { requireCertificates } from '../../src/crypto/index.js';
import {
  algorithmForKey,
  createCoseEnvelope,
  createJwsEnvelope,
  createRevocationChecker,
  createTimestampVerifier,
  type FetchedSignature,
  type NotationSigner,
  parseCertificate,
  parseTrustPolicy,
  requestTimestampToken,
  type SignRequest,
  signWith,
  tokenOfResponse,
  verifyNotationSignatures,
  verifyTimestampToken,
} from '../../src/notation/index.js';
import { encodePayload } from '../../src/notation/payload.js';
import type { Descriptor } from '../../src/oci/index.js';
import { createTsaMaterial, type RunningTsa, requestTimestamp, startTsa } from '../../src/tsa/index.js';
import {
  type FileServer,
  generateCrl,
  type Issued,
  issue,
  makeCa,
  type OcspResponder,
  revoke,
  startFileServer,
  startOcspResponder,
} from '../helpers/openssl-pki.js';
import { freePort } from '../helpers/ports.js';

const DAY = 86_400_000;
const REPOSITORY = 'registry.example/app';
const manifest = Buffer.from('{"schemaVersion":2,"timestamped":true}');
const TARGET: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: sha256Digest(manifest),
  size: manifest.length,
};

function signerOf(leaf: Issued, ca: Issued): NotationSigner {
  const key = createPrivateKey(readFileSync(leaf.key));
  const algorithm = algorithmForKey(key, leaf.key);
  return {
    algorithm,
    certificateChain: [leaf.x509.raw, ca.x509.raw],
    sign: async (data) => signWith(algorithm, key, data),
  };
}

describe('notation verification with timestamps and revocation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-notation-tsa-'));
  const tsas: RunningTsa[] = [];
  let responder: OcspResponder;
  let crls: FileServer;
  let tsa: RunningTsa;
  let tsaRoot: X509Certificate;
  let otherTsaRoot: X509Certificate;
  let earlyTsa: RunningTsa; // its clock runs two minutes behind
  let revokedTsa: RunningTsa;
  let revokedTsaRoot: X509Certificate;
  let ca: Issued;
  let signer: Issued;
  let freshSigner: Issued; // valid from now on
  let revokedSigner: Issued;
  let unreachableSigner: Issued;

  const rootOf = (chainPem: string) => requireCertificates(chainPem, 'TSA chain').at(-1) as X509Certificate;

  before(async () => {
    const material = await createTsaMaterial();
    tsa = await startTsa({ host: '127.0.0.1', port: 0, ...material });
    tsaRoot = rootOf(material.chainPem);
    otherTsaRoot = rootOf((await createTsaMaterial({ commonName: 'other tsa' })).chainPem);
    earlyTsa = await startTsa({
      host: '127.0.0.1',
      port: 0,
      ...material,
      now: () => new Date(Date.now() - 120_000),
    });

    crls = await startFileServer();
    const tsaCa = makeCa(dir, 'tsa-ca');
    const revokedTsaLeaf = issue(dir, tsaCa, 'revoked-tsa', {
      crl: [`${crls.url}/tsa-ca.crl`],
      extensions: ['extendedKeyUsage=critical,timeStamping'],
    });
    revoke(dir, tsaCa, revokedTsaLeaf);
    crls.files.set('/tsa-ca.crl', generateCrl(dir, tsaCa));
    revokedTsa = await startTsa({
      host: '127.0.0.1',
      port: 0,
      chainPem: readFileSync(revokedTsaLeaf.cert, 'utf8') + readFileSync(tsaCa.cert, 'utf8'),
      keyPem: readFileSync(revokedTsaLeaf.key, 'utf8'),
    });
    revokedTsaRoot = tsaCa.x509;
    tsas.push(tsa, earlyTsa, revokedTsa);

    ca = makeCa(dir, 'signing-ca');
    const ocspPort = await freePort();
    const ocspResponderCert = issue(dir, ca, 'ocsp-responder', {
      extensions: ['extendedKeyUsage=critical,OCSPSigning'],
    });
    signer = issue(dir, ca, 'signer', {});
    freshSigner = issue(dir, ca, 'fresh-signer', { backdateSeconds: 0 });
    revokedSigner = issue(dir, ca, 'revoked-signer', { ocsp: [`http://127.0.0.1:${ocspPort}`] });
    unreachableSigner = issue(dir, ca, 'unreachable-signer', {
      ocsp: [`http://127.0.0.1:${await freePort()}`],
    });
    revoke(dir, ca, revokedSigner);
    responder = await startOcspResponder(dir, ca, ocspResponderCert, ocspPort, 10);
  });

  after(async () => {
    await Promise.all(tsas.map((running) => running.close()));
    await responder.stop();
    await crls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stampFrom =
    (from: RunningTsa, roots: X509Certificate[]) =>
    (signature: Buffer, hash: 'sha256' | 'sha384' | 'sha512') =>
      requestTimestampToken(from.url, signature, { hash, tsaRoots: roots });
  const sign = async (
    format: 'jws' | 'cose',
    overrides: Partial<SignRequest> = {},
    who: Issued = signer,
  ): Promise<FetchedSignature> => {
    const request: SignRequest = {
      payload: encodePayload(TARGET),
      signer: signerOf(who, ca),
      signingTime: new Date(),
      signingScheme: 'notary.x509',
      signingAgent: 'sigil/test',
      timestamp: stampFrom(tsa, [tsaRoot]),
      ...overrides,
    };
    const envelope = format === 'jws' ? await createJwsEnvelope(request) : await createCoseEnvelope(request);
    return {
      digest: `sha256:${format}`,
      mediaType: format === 'jws' ? 'application/jose+json' : 'application/cose',
      envelope,
    };
  };
  const verify = (
    signature: FetchedSignature,
    {
      statement = {},
      tsaRoots = [tsaRoot],
      now,
    }: { statement?: object; tsaRoots?: X509Certificate[]; now?: Date } = {},
  ) =>
    verifyNotationSignatures({ repository: REPOSITORY, descriptor: TARGET }, [signature], {
      trustPolicy: parseTrustPolicy(
        JSON.stringify({
          version: '1.0',
          trustPolicies: [
            {
              name: 'app',
              registryScopes: [REPOSITORY],
              signatureVerification: { level: 'strict' },
              trustStores: ['ca:roots', 'tsa:tsa'],
              trustedIdentities: ['*'],
              ...statement,
            },
          ],
        }),
        'trustpolicy.json',
      ),
      trustStore: (type, name) =>
        type === 'tsa' && name === 'tsa'
          ? tsaRoots.map((root, i) => parseCertificate(root.raw, `tsa root ${i + 1}`))
          : [parseCertificate(ca.x509.raw, 'root')],
      revocation: createRevocationChecker(),
      timestamp: createTimestampVerifier(),
      ...(now ? { now } : {}),
    });
  const refusal = async (...args: Parameters<typeof verify>) => {
    const outcome = await verify(...args);
    assert.equal(outcome.verified, undefined, 'the signature should have been refused');
    return outcome.results[0]?.error ?? '';
  };

  it('verifies JWS and COSE signatures countersigned by sigil TSA', async () => {
    for (const format of ['jws', 'cose'] as const) {
      const outcome = await verify(await sign(format));
      assert.ok(outcome.verified, outcome.results[0]?.error);
    }
  });

  it('the token is a bare TimeStampToken (CMS ContentInfo) with genTime ± accuracy', async () => {
    const signature = randomBytes(64);
    const token = await requestTimestampToken(tsa.url, signature, { hash: 'sha256', tsaRoots: [tsaRoot] });
    const verified = verifyTimestampToken(token, signature, [tsaRoot]);
    assert.equal(verified.upper.getTime() - verified.lower.getTime(), 2000);
    assert.equal(verified.tsaChain.length, 2);
  });

  it('refuses a token from an untrusted TSA, when signing and when verifying', async () => {
    await assert.rejects(
      requestTimestampToken(tsa.url, randomBytes(8), { hash: 'sha256', tsaRoots: [otherTsaRoot] }),
      /does not chain to a root of the tsa trust store/,
    );
    assert.match(
      await refusal(await sign('jws'), { tsaRoots: [otherTsaRoot] }),
      /^authenticTimestamp: timestamp countersignature: the TSA certificate .* does not chain to a root of the tsa trust store/,
    );
  });

  it('refuses a token over different bytes', async () => {
    const elsewhere = async () =>
      tokenOfResponse(Buffer.from(await requestTimestamp(tsa.url, randomBytes(64))));
    assert.match(
      await refusal(await sign('cose', { timestamp: elsewhere })),
      /^authenticTimestamp: timestamp countersignature: the timestamp is over other bytes than the signature/,
    );
  });

  it('refuses a tampered token', async () => {
    const tampered = async (signature: Buffer) => {
      const token = Buffer.from(await stampFrom(tsa, [tsaRoot])(signature, 'sha256'));
      token[token.length - 3] = (token[token.length - 3] ?? 0) ^ 0x01;
      return token;
    };
    assert.match(
      await refusal(await sign('jws', { timestamp: tampered })),
      /^authenticTimestamp: timestamp countersignature:/,
    );
  });

  it('accepts an expired signing certificate by a timestamp from its validity; refuses it without one', async () => {
    const later = new Date(Date.now() + 30 * DAY);
    const signature = await sign('jws');
    const outcome = await verify(signature, {
      now: later,
      statement: { signatureVerification: { level: 'strict', verifyTimestamp: 'afterCertExpiry' } },
    });
    assert.ok(outcome.verified, outcome.results[0]?.error);
    assert.match(
      await refusal(signature, { now: later, statement: { trustStores: ['ca:roots'] } }),
      /^authenticTimestamp: .*CN=signer.* expired/,
    );
  });

  it('refuses a timestamp from before the signing certificate was valid', async () => {
    const signature = await sign('jws', { timestamp: stampFrom(earlyTsa, [tsaRoot]) }, freshSigner);
    assert.match(
      await refusal(signature),
      /^authenticTimestamp: the timestamp may be before certificate "[^"]*CN=fresh-signer/,
    );
  });

  it('refuses a timestamp whose TSA certificate is revoked (CRL), when signing and when verifying', async () => {
    await assert.rejects(
      requestTimestampToken(revokedTsa.url, randomBytes(8), { hash: 'sha256', tsaRoots: [revokedTsaRoot] }),
      /timestamping certificate with subject ".*revoked-tsa.*" is revoked/,
    );
    const unchecked = async (signature: Buffer) =>
      tokenOfResponse(Buffer.from(await requestTimestamp(revokedTsa.url, signature)));
    assert.match(
      await refusal(await sign('jws', { timestamp: unchecked }), { tsaRoots: [revokedTsaRoot] }),
      /^authenticTimestamp: timestamping certificate ".*revoked-tsa.*" is revoked/,
    );
  });

  it('refuses a signing certificate its CA revoked (OCSP); logs it under permissive', async () => {
    const signature = await sign('cose', {}, revokedSigner);
    assert.match(
      await refusal(signature),
      /^revocation: signing certificate ".*revoked-signer.*" is revoked/,
    );
    const permissive = await verify(signature, {
      statement: { signatureVerification: { level: 'permissive' } },
    });
    assert.ok(permissive.verified);
    assert.match(permissive.verified.checks.find((c) => c.type === 'revocation')?.error ?? '', /is revoked/);
  });

  it('an unreachable OCSP responder is unknown: strict fails, permissive logs', async () => {
    const signature = await sign('jws', {}, unreachableSigner);
    assert.match(
      await refusal(signature),
      /^revocation: signing certificate ".*unreachable-signer.*" revocation status is unknown/,
    );
    const permissive = await verify(signature, {
      statement: { signatureVerification: { level: 'permissive' } },
    });
    assert.ok(permissive.verified);
  });
});
