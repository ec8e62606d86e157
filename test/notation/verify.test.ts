/**
 * verifyNotationSignatures over envelopes sigil makes in-process: both formats verify, and each tampering
 * or policy mismatch is refused by the check notation refuses it with, with a reason that names it; the
 * levels' log actions let what they log pass.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CborTagged, decodeCbor, encodeCbor, sha256Digest } from '../../src/core/index.js';
import {
  createCoseEnvelope,
  createJwsEnvelope,
  type FetchedSignature,
  type NotationSigner,
  type NotationVerifyOptions,
  parseCertificate,
  parseTrustPolicy,
  type SignRequest,
  verifyNotationSignatures,
} from '../../src/notation/index.js';
import { encodePayload } from '../../src/notation/payload.js';
import type { Descriptor } from '../../src/oci/index.js';
import { makePki, type TestPki } from '../helpers/notation-pki.js';

const REPOSITORY = 'registry.example/app';
const manifest = Buffer.from('{"schemaVersion":2}');
const TARGET: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: sha256Digest(manifest),
  size: manifest.length,
};
const IDENTITY = 'x509.subject: C=US, ST=WA, O=wabbit-networks.io';

function policy(statement: object = {}) {
  return parseTrustPolicy(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name: 'app',
          registryScopes: [REPOSITORY],
          signatureVerification: { level: 'strict' },
          trustStores: ['ca:roots'],
          trustedIdentities: [IDENTITY],
          ...statement,
        },
      ],
    }),
    'trustpolicy.json',
  );
}

describe('notation verification (in-process)', () => {
  let pki: TestPki;
  const options = (
    statement: object = {},
    extra: Partial<NotationVerifyOptions> = {},
  ): NotationVerifyOptions => ({
    trustPolicy: policy(statement),
    trustStore: (type, name) => {
      if (name !== 'roots') throw new Error(`trust store ${type}:${name} does not exist`);
      return [parseCertificate(pki.rootDer, 'root')];
    },
    ...extra,
  });
  const request = (overrides: Partial<SignRequest> = {}): SignRequest => ({
    payload: encodePayload(TARGET, { build: '42' }),
    signer: pki.signer,
    signingTime: new Date(),
    signingScheme: 'notary.x509',
    signingAgent: 'sigil/test',
    ...overrides,
  });
  const jws = async (overrides: Partial<SignRequest> = {}): Promise<FetchedSignature> => ({
    digest: 'sha256:jws',
    mediaType: 'application/jose+json',
    envelope: await createJwsEnvelope(request(overrides)),
  });
  const cose = async (overrides: Partial<SignRequest> = {}): Promise<FetchedSignature> => ({
    digest: 'sha256:cose',
    mediaType: 'application/cose',
    envelope: await createCoseEnvelope(request(overrides)),
  });
  const verify = (signature: FetchedSignature, opts = options(), target = TARGET) =>
    verifyNotationSignatures({ repository: REPOSITORY, descriptor: target }, [signature], opts);
  /** The reason the one signature was refused. */
  const refusal = async (signature: FetchedSignature, opts = options(), target = TARGET) => {
    const outcome = await verify(signature, opts, target);
    assert.equal(outcome.verified, undefined, 'the signature should have been refused');
    return outcome.results[0]?.error ?? '';
  };

  before(async () => {
    pki = await makePki();
  });

  it('verifies JWS and COSE signatures, with their user metadata', async () => {
    for (const signature of [await jws(), await cose()]) {
      const outcome = await verify(signature, options({}, { userMetadata: { build: '42' } }));
      assert.ok(outcome.verified, outcome.results[0]?.error);
      assert.deepEqual(outcome.verified.userMetadata, { build: '42' });
      assert.deepEqual(
        outcome.verified.checks.map((c) => [c.type, c.action, c.error]),
        ['integrity', 'authenticity', 'expiry', 'authenticTimestamp', 'revocation'].map((t) => [
          t,
          'enforce',
          undefined,
        ]),
      );
    }
  });

  it('refuses a tampered JWS payload, protected header or signature (integrity)', async () => {
    const signature = await jws();
    const envelope = JSON.parse(signature.envelope.toString());
    const other = encodePayload({ ...TARGET, digest: sha256Digest(Buffer.from('other')) });
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString());
    for (const [field, value] of [
      ['payload', other.toString('base64url')],
      [
        'protected',
        Buffer.from(
          JSON.stringify({ ...header, 'io.cncf.notary.signingTime': '2020-01-01T00:00:00Z' }),
        ).toString('base64url'),
      ],
      ['signature', Buffer.from(envelope.signature, 'base64url').reverse().toString('base64url')],
    ]) {
      const tampered = {
        ...signature,
        envelope: Buffer.from(JSON.stringify({ ...envelope, [field as string]: value })),
      };
      assert.match(
        await refusal(tampered),
        /^integrity: signature .* does not verify with its signing certificate/,
        field,
      );
    }
  });

  it('refuses a tampered COSE payload (integrity)', async () => {
    const signature = await cose();
    const message = decodeCbor(signature.envelope, 'test') as CborTagged;
    const [protectedBytes, unprotected, , sig] = message.value as unknown[];
    const payload = encodePayload({ ...TARGET, size: TARGET.size + 1 });
    const tampered = encodeCbor(new CborTagged(18, [protectedBytes, unprotected, payload, sig] as never));
    assert.match(await refusal({ ...signature, envelope: tampered }), /^integrity: .*does not verify/);
  });

  it('refuses an envelope of another media type (integrity)', async () => {
    const signature = await jws();
    assert.match(
      await refusal({ ...signature, mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }),
      /^integrity: .*envelope type "application\/vnd.dev.sigstore.bundle.v0.3\+json" is not supported/,
    );
    assert.match(
      await refusal({ ...signature, mediaType: 'application/cose' }),
      /^integrity: .*malformed CBOR/,
    );
  });

  it('refuses a broken certificate chain (integrity) and an untrusted one (authenticity)', async () => {
    const stranger = await makePki();
    const broken = {
      ...pki.signer,
      certificateChain: [pki.signer.certificateChain[0], stranger.rootDer],
    } as NotationSigner;
    assert.match(
      await refusal(await jws({ signer: broken })),
      /^integrity: .*certificate chain is invalid: certificate ".*CN=signer.*" is not issued by/,
    );
    const leafOnly = { ...pki.signer, certificateChain: [pki.leafDer] } as NotationSigner;
    assert.match(
      await refusal(await jws({ signer: leafOnly })),
      /^integrity: .*lone certificate .* is not self-signed/,
    );
    assert.match(
      await refusal(await jws({ signer: stranger.signer })),
      /^authenticity: the certificate chain \(root "CN=Test Root.*"\) does not lead to a certificate in the trust stores of statement "app"/,
    );
  });

  it('refuses a CA certificate as signing certificate (integrity)', async () => {
    const ca = await makePki({ leafIsCa: true });
    const opts = { ...options(), trustStore: () => [parseCertificate(ca.rootDer, 'root')] };
    assert.match(await refusal(await jws({ signer: ca.signer }), opts), /must not be a CA/);
  });

  it('refuses when no trust policy scope matches, and uses the wildcard statement otherwise', async () => {
    const signature = await jws();
    await assert.rejects(
      verifyNotationSignatures(
        { repository: 'registry.example/other', descriptor: TARGET },
        [signature],
        options(),
      ),
      /no trust policy statement applies to registry.example\/other/,
    );
    const wildcard = await verifyNotationSignatures(
      { repository: 'registry.example/other', descriptor: TARGET },
      [signature],
      options({ registryScopes: ['*'] }),
    );
    assert.ok(wildcard.verified);
  });

  it('refuses a signer outside the trusted identities (authenticity), logs it under audit', async () => {
    const signature = await jws();
    const stranger = { trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme-rockets.io'] };
    assert.match(
      await refusal(signature, options(stranger)),
      /^authenticity: signing certificate subject "CN=signer,O=wabbit-networks.io,L=Seattle,ST=WA,C=US" is not a trusted identity of statement "app"/,
    );
    const audited = await verify(
      signature,
      options({ ...stranger, signatureVerification: { level: 'audit' } }),
    );
    assert.ok(audited.verified);
    assert.match(
      audited.verified.checks.find((c) => c.type === 'authenticity')?.error ?? '',
      /not a trusted identity/,
    );
  });

  it('refuses an expired certificate without a timestamp (authenticTimestamp)', async () => {
    const old = await makePki({
      leafNotBefore: new Date(Date.now() - 10 * 86400e3),
      leafNotAfter: new Date(Date.now() - 86400e3),
    });
    const opts = { ...options(), trustStore: () => [parseCertificate(old.rootDer, 'root')] };
    const signature = await jws({ signer: old.signer, signingTime: new Date(Date.now() - 2 * 86400e3) });
    assert.match(await refusal(signature, opts), /^authenticTimestamp: certificate "CN=signer.*" expired at/);
    // With a tsa: store the countersignature is required.
    const tsa = { ...opts, trustPolicy: policy({ trustStores: ['ca:roots', 'tsa:roots'] }) };
    assert.match(
      await refusal(signature, tsa),
      /^authenticTimestamp: no timestamp countersignature in the signature envelope/,
    );
  });

  it('refuses an expired signature (expiry), logs it under permissive', async () => {
    const signature = await cose({
      signingTime: new Date(Date.now() - 3600e3),
      expiry: new Date(Date.now() - 60e3),
    });
    assert.match(await refusal(signature), /^expiry: signature expired at/);
    const permissive = await verify(signature, options({ signatureVerification: { level: 'permissive' } }));
    assert.ok(permissive.verified);
    const overridden = await verify(
      signature,
      options({ signatureVerification: { level: 'strict', override: { expiry: 'log' } } }),
    );
    assert.ok(overridden.verified);
  });

  it('refuses a payload naming another artifact, and missing user metadata', async () => {
    const signature = await jws();
    const other = { ...TARGET, digest: sha256Digest(Buffer.from('other')) };
    assert.match(
      await refusal(signature, options(), other),
      /the signed payload names sha256:[0-9a-f]+ .* not the artifact/,
    );
    assert.match(
      await refusal(signature, options({}, { userMetadata: { build: '43' } })),
      /user metadata has no build=43/,
    );
  });

  it('fails closed on revocation without a checker when the chain names OCSP, unless revocation is skipped', async () => {
    const revocable = await makePki({ ocspUrl: 'http://127.0.0.1:9/ocsp' });
    const opts = (statement: object = {}) => ({
      ...options(statement),
      trustStore: () => [parseCertificate(revocable.rootDer, 'root')],
    });
    const signature = await jws({ signer: revocable.signer });
    assert.match(
      await refusal(signature, opts()),
      /^revocation: signing certificate ".*" names OCSP\/CRL endpoints but no revocation checker is available/,
    );
    const skipped = await verify(
      signature,
      opts({ signatureVerification: { level: 'strict', override: { revocation: 'skip' } } }),
    );
    assert.ok(skipped.verified);
    const checked = await verify(signature, {
      ...opts(),
      revocation: {
        checkChain: async (chain) => chain.map((_, i) => ({ status: i === 0 ? 'revoked' : 'nonRevokable' })),
      },
    });
    assert.match(
      checked.results[0]?.error ?? '',
      /^revocation: signing certificate ".*CN=signer.*" is revoked/,
    );
  });

  it('verifies the signing-authority scheme against signingAuthority stores only', async () => {
    const signature = await jws({ signingScheme: 'notary.x509.signingAuthority' });
    assert.match(
      await refusal(signature),
      /^authenticity: no trusted certificates: statement "app" names no signingAuthority: trust store/,
    );
    const outcome = await verify(signature, options({ trustStores: ['signingAuthority:roots'] }));
    assert.ok(outcome.verified, outcome.results[0]?.error);
  });

  it('tries signatures in order until one passes, keeping each failure', async () => {
    const stranger = await makePki();
    const bad = { ...(await jws({ signer: stranger.signer })), digest: 'sha256:bad' };
    const outcome = await verifyNotationSignatures(
      { repository: REPOSITORY, descriptor: TARGET },
      [bad, await cose()],
      options(),
    );
    assert.equal(outcome.verified?.digest, 'sha256:cose');
    assert.equal(outcome.results.length, 2);
    assert.match(outcome.results[0]?.error ?? '', /^authenticity:/);
    const limited = await verifyNotationSignatures(
      { repository: REPOSITORY, descriptor: TARGET },
      [bad, await cose()],
      options({}, { maxSignatures: 1 }),
    );
    assert.equal(limited.verified, undefined);
  });

  it('skips everything under level skip', async () => {
    const outcome = await verify(
      await jws(),
      options({ signatureVerification: { level: 'skip' }, trustStores: [], trustedIdentities: [] }),
    );
    assert.equal(outcome.skipped, true);
  });
});

describe('trust policy validation (notation rules)', () => {
  const statement = {
    name: 'p',
    registryScopes: ['*'],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:s'],
    trustedIdentities: ['*'],
  };
  const parse = (change: object, more: object[] = []) =>
    parseTrustPolicy(
      JSON.stringify({ version: '1.0', trustPolicies: [{ ...statement, ...change }, ...more] }),
      'tp.json',
    );
  it('refuses what notation refuses', () => {
    assert.throws(
      () => parse({ signatureVerification: { level: 'strict', override: { integrity: 'log' } } }),
      /"integrity" cannot be overridden/,
    );
    assert.throws(
      () => parse({ signatureVerification: { level: 'strict', override: { authenticity: 'skip' } } }),
      /"authenticity" cannot be skipped/,
    );
    assert.throws(
      () => parse({ signatureVerification: { level: 'lenient' } }),
      /invalid signature verification level "lenient"/,
    );
    assert.throws(() => parse({ registryScopes: ['*', 'a.io/b'] }), /wildcard scope/);
    assert.throws(() => parse({ registryScopes: ['a.io/B:tag'] }), /is not a repository/);
    assert.throws(() => parse({ trustStores: ['vault:s'] }), /unsupported type/);
    assert.throws(() => parse({ trustedIdentities: ['x509.subject: CN=x, O=y'] }), /has no C/);
    assert.throws(
      () => parse({ trustedIdentities: ['*', 'x509.subject: C=US, ST=WA, O=y'] }),
      /wildcard identity/,
    );
    assert.throws(() => parse({ trustStores: [] }), /needs both trustStores and trustedIdentities/);
    assert.throws(
      () => parse({}, [{ ...statement, name: 'q' }]),
      /registry scope "\*" is in statements "p" and "q"/,
    );
    assert.throws(() => parse({ signatureVerification: { level: 'skip' } }), /must not name trust stores/);
    assert.throws(
      () => parseTrustPolicy('{"version":"2.0","trustPolicies":[]}', 'tp.json'),
      /unsupported trust policy version/,
    );
  });
});
