/**
 * The CA's refusals, over its HTTP API: forged, expired, unconfigured-issuer and wrong-audience tokens,
 * proofs of possession by another key, unsupported keys, malformed requests; and what it issues.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import {
  CertificateAuthority,
  type CtLog,
  createCaMaterial,
  embeddedCtLog,
  parseFulcioConfig,
  type RunningCa,
  startCa,
  TokenVerifier,
} from '../../src/ca/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { certificateIdentity } from '../../src/verify/index.js';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('certificate authority (Fulcio v2 API)', () => {
  let oidc: RunningDevIssuer;
  let other: RunningDevIssuer;
  let ca: RunningCa;
  let authority: CertificateAuthority;
  let ctLog: CtLog;

  before(async () => {
    oidc = await startDevIssuer('127.0.0.1', 0);
    other = await startDevIssuer('127.0.0.1', 0);
    const material = await createCaMaterial();
    ctLog = await embeddedCtLog(':memory:', material);
    authority = new CertificateAuthority(
      material,
      new TokenVerifier([
        { issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' },
        { issuerUrl: oidc.issuers['github-actions'], clientId: 'sigstore', type: 'github-workflow' },
        { issuerUrl: oidc.issuers.gitlab, clientId: 'sigstore', type: 'gitlab-pipeline' },
      ]),
      ctLog,
    );
    ca = await startCa(authority, '127.0.0.1', 0, ctLog);
  });
  after(async () => {
    await ca.close();
    await ctLog.close();
    await oidc.close();
    await other.close();
  });

  const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const challengeOf = (token: string) => {
    const claims = decodeJwt(token);
    return String(claims.email ?? claims.sub);
  };
  const request = (
    token: string,
    publicKey: KeyObject,
    signingKey: KeyObject,
    challenge = challengeOf(token),
  ) => ({
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: publicKey.export({ type: 'spki', format: 'pem' }) },
      proofOfPossession: sign('sha256', Buffer.from(challenge), signingKey).toString('base64'),
    },
  });
  const post = async (body: unknown, raw = false, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${ca.url}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw ? (body as string) : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const leafOf = (answer: Answer) => {
    const signed = answer.body.signedCertificateEmbeddedSct as { chain: { certificates: string[] } };
    return new X509Certificate(signed.chain.certificates[0] as string);
  };
  const refused = (answer: Answer, status: number, pattern: RegExp) => {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.match(String(answer.body.message), pattern);
  };

  it('issues a 10-minute code-signing certificate for an email identity, chained to the CA', async () => {
    const token = await oidc.mint({ kind: 'email', email: 'dev@example.com' });
    const { publicKey, privateKey } = ecKey();
    const answer = await post(request(token, publicKey, privateKey));
    assert.equal(answer.status, 200);
    const leaf = leafOf(answer);
    assert.equal(leaf.subjectAltName, 'email:dev@example.com');
    assert.equal(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom), 10 * 60_000);
    assert.ok(leaf.verify(authority.chain[0]?.publicKey as KeyObject));
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.3']);
    assert.equal(certificateIdentity(leaf).issuer, oidc.issuers.email);
  });

  it('takes the token from an Authorization: Bearer header when credentials are absent, as sigstore-go sends it', async () => {
    const token = await oidc.mint({ kind: 'email', email: 'dev@example.com' });
    const { publicKey, privateKey } = ecKey();
    const { publicKeyRequest } = request(token, publicKey, privateKey);
    const answer = await post({ publicKeyRequest }, false, { authorization: `Bearer ${token}` });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(leafOf(answer).subjectAltName, 'email:dev@example.com');
    refused(await post({ publicKeyRequest }), 401, /no identity token/);
  });

  it("serves Fulcio's legacy v1 route as cosign v2 calls it: DER key, signedEmailAddress, null fields, a PEM chain", async () => {
    const token = await oidc.mint({ kind: 'email', email: 'dev@example.com' });
    const { publicKey, privateKey } = ecKey();
    const response = await fetch(`${ca.url}/api/v1/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        publicKey: {
          algorithm: 'ecdsa',
          content: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        },
        signedEmailAddress: sign('sha256', Buffer.from('dev@example.com'), privateKey).toString('base64'),
        certificateSigningRequest: null,
      }),
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('content-type'), 'application/pem-certificate-chain');
    const [leaf] = (await response.text()).split(/(?<=-----END CERTIFICATE-----\n)/);
    const certificate = new X509Certificate(leaf as string);
    assert.equal(certificate.subjectAltName, 'email:dev@example.com');
    assert.ok(certificate.publicKey.equals(publicKey));
    // A key that is no DER SubjectPublicKeyInfo, and a proof by another key, are refused naming v1's fields.
    const v1 = (content: Buffer, proof: Buffer) =>
      fetch(`${ca.url}/api/v1/signingCert`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          publicKey: { algorithm: 'ecdsa', content: content.toString('base64') },
          signedEmailAddress: proof.toString('base64'),
        }),
      });
    const proof = sign('sha256', Buffer.from('dev@example.com'), privateKey);
    const garbage = await v1(Buffer.from('3003020101', 'hex'), proof);
    assert.equal(garbage.status, 400);
    assert.match(((await garbage.json()) as { message: string }).message, /^publicKey\.content: /);
    const otherKey = ecKey().publicKey.export({ type: 'spki', format: 'der' });
    const wrongProof = await v1(otherKey, proof);
    assert.equal(wrongProof.status, 400);
    assert.match(((await wrongProof.json()) as { message: string }).message, /proof of possession failed/);
  });

  it('puts the GitHub workflow and build metadata extensions in CI certificates', async () => {
    const token = await oidc.mint({ kind: 'github-actions', repository: 'org/app', ref: 'refs/tags/v1.2.3' });
    const { publicKey, privateKey } = ecKey();
    const identity = certificateIdentity(leafOf(await post(request(token, publicKey, privateKey))));
    assert.deepEqual(identity.subjects, [
      'https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.3',
    ]);
    assert.equal(identity.githubWorkflowRepository, 'org/app');
    assert.equal(identity.githubWorkflowRef, 'refs/tags/v1.2.3');
    assert.equal(identity.extensions['1.3.6.1.4.1.57264.1.12'], 'https://github.com/org/app');
    assert.equal(identity.extensions['1.3.6.1.4.1.57264.1.11'], 'github-hosted');
    assert.match(
      identity.extensions['1.3.6.1.4.1.57264.1.21'] ?? '',
      /^https:\/\/github.com\/org\/app\/actions\/runs\/\d+\/attempts\/1$/,
    );
  });

  it('builds GitLab identities from the pipeline claims', async () => {
    const token = await oidc.mint({ kind: 'gitlab', repository: 'group/project' });
    const { publicKey, privateKey } = ecKey();
    const identity = certificateIdentity(leafOf(await post(request(token, publicKey, privateKey))));
    assert.deepEqual(identity.subjects, ['https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main']);
    assert.equal(identity.extensions['1.3.6.1.4.1.57264.1.14'], 'refs/heads/main');
  });

  it('rejects forged, expired, foreign, wrong-audience and malformed tokens with 401', async () => {
    const { publicKey, privateKey } = ecKey();
    const good = await oidc.mint({ kind: 'email' });
    const [header, payload] = good.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...decodeJwt(good), email: 'admin@example.com' }),
    ).toString('base64url');
    const forged = `${header}.${forgedPayload}.${good.split('.')[2]}`;
    refused(await post(request(forged, publicKey, privateKey)), 401, /signature/);
    const expired = await oidc.mint({ kind: 'email', ttlSeconds: -3600 });
    refused(await post(request(expired, publicKey, privateKey)), 401, /expired/);
    // The other issuer's URL is not configured, even though its tokens are well formed.
    const foreign = await other.mint({ kind: 'email' });
    refused(await post(request(foreign, publicKey, privateKey)), 401, /not configured/);
    const wrongAudience = await oidc.mint({ kind: 'email', audience: 'someone-else' });
    refused(await post(request(wrongAudience, publicKey, privateKey)), 401, /aud/);
    refused(
      await post(request(`${header}.${payload}`, publicKey, privateKey, 'x')),
      401,
      /not a JWT|JWS|JWT/,
    );
  });

  it('rejects a token whose email is not verified', async () => {
    const { publicKey, privateKey } = ecKey();
    const token = await oidc.mint({ kind: 'email', claims: { email_verified: false } });
    refused(await post(request(token, publicKey, privateKey)), 401, /not verified/);
  });

  it('rejects a proof of possession made by another key, or over another subject', async () => {
    const token = await oidc.mint({ kind: 'email' });
    const mine = ecKey();
    const theirs = ecKey();
    refused(await post(request(token, mine.publicKey, theirs.privateKey)), 400, /proof of possession/);
    refused(
      await post(request(token, mine.publicKey, mine.privateKey, 'someone@else')),
      400,
      /proof of possession/,
    );
  });

  it('rejects unsupported keys and malformed requests with 400', async () => {
    const token = await oidc.mint({ kind: 'email' });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    refused(await post(request(token, weak.publicKey, weak.privateKey)), 400, /unsupported key/);
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    refused(await post(request(token, secp256k1.publicKey, secp256k1.privateKey)), 400, /unsupported key/);
    refused(await post({ credentials: {} }), 400, /credentials\.oidcIdentityToken/);
    refused(
      await post({ credentials: { oidcIdentityToken: token } }),
      400,
      /publicKeyRequest or certificateSigningRequest/,
    );
    refused(await post('{not json', true), 400, /JSON/);
    const notPem = request(token, ecKey().publicKey, ecKey().privateKey);
    notPem.publicKeyRequest.publicKey.content = 'not a key';
    refused(await post(notPem), 400, /PEM/);
  });

  it('serves its trust bundle and configuration', async () => {
    const bundle = (await (await fetch(`${ca.url}/api/v2/trustBundle`)).json()) as {
      chains: Array<{ certificates: string[] }>;
    };
    assert.equal(bundle.chains[0]?.certificates.length, 2);
    const config = (await (await fetch(`${ca.url}/api/v2/configuration`)).json()) as {
      issuers: Array<{ issuerUrl: string; audience: string; challengeClaim: string }>;
    };
    assert.deepEqual(config.issuers[0], {
      issuerUrl: oidc.issuers.email,
      audience: 'sigstore',
      challengeClaim: 'email',
      issuerType: 'email',
    });
  });

  it("reads Fulcio's config format and refuses unknown issuer types", () => {
    const issuers = parseFulcioConfig(
      JSON.stringify({
        OIDCIssuers: {
          'https://token.actions.githubusercontent.com': {
            IssuerURL: 'https://token.actions.githubusercontent.com',
            ClientID: 'sigstore',
            Type: 'github-workflow',
          },
        },
      }),
      'fulcio.json',
    );
    assert.deepEqual(issuers, [
      {
        issuerUrl: 'https://token.actions.githubusercontent.com',
        clientId: 'sigstore',
        type: 'github-workflow',
      },
    ]);
    assert.throws(
      () =>
        parseFulcioConfig(
          '{"OIDCIssuers":{"https://x":{"ClientID":"sigstore","Type":"jenkins-job"}}}',
          'f.json',
        ),
      /Type "jenkins-job" is not supported/,
    );
    assert.throws(() => parseFulcioConfig('[]', 'f.json'), /OIDCIssuers/);
  });
});
