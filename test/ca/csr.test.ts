/**
 * The CA's PKCS#10 path: a CSR proves possession by its own signature, so a CSR whose signature does not
 * verify under the key it carries (tampered, or signed by another key), a CSR for a key Fulcio refuses,
 * and bytes that are not a CSR are all refused with 400 and a reason; a well-formed CSR is certified.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  CertificateAuthority,
  createCaMaterial,
  embeddedCtLog,
  type RunningCa,
  startCa,
  TokenVerifier,
} from '../../src/ca/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';

/** A CSR carrying `subjectKey`, signed by `signingKey` (normally the same key), as Fulcio's request field wants it. */
function csrField(subjectKey: KeyObject, signingKey: KeyObject, tamper = false): string {
  const info = new CertificationRequestInfo({
    version: 0,
    subject: new Name(),
    subjectPKInfo: AsnConvert.parse(subjectKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(info)), signingKey);
  if (tamper) signature[signature.length - 1] = (signature.at(-1) ?? 0) ^ 1;
  const algorithm = signingKey.asymmetricKeyType === 'rsa' ? RSA_SHA256 : ECDSA_SHA256;
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({
      algorithm,
      parameters: algorithm === RSA_SHA256 ? null : undefined,
    }),
    signature: new Uint8Array(signature).buffer,
  });
  const der = Buffer.from(AsnConvert.serialize(csr)).toString('base64');
  const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  return Buffer.from(pem).toString('base64');
}

describe('certificate authority: CSR requests', () => {
  let oidc: RunningDevIssuer;
  let ca: RunningCa;
  before(async () => {
    oidc = await startDevIssuer('127.0.0.1', 0);
    const verifier = new TokenVerifier([
      { issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' },
    ]);
    const material = await createCaMaterial();
    ca = await startCa(
      new CertificateAuthority(material, verifier, await embeddedCtLog(':memory:', material)),
      '127.0.0.1',
      0,
    );
  });
  after(async () => {
    await ca.close();
    await oidc.close();
  });

  const post = async (certificateSigningRequest: string) => {
    const body = {
      credentials: { oidcIdentityToken: await oidc.mint({ kind: 'email' }) },
      certificateSigningRequest,
    };
    const response = await fetch(`${ca.url}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const refused = async (field: string, pattern: RegExp) => {
    const answer = await post(field);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(String(answer.body.message), pattern);
  };
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('certifies the key a self-signed CSR carries', async () => {
    const key = ec();
    const answer = await post(csrField(key.publicKey, key.privateKey));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const signed = answer.body.signedCertificateEmbeddedSct as { chain: { certificates: string[] } };
    assert.ok(new X509Certificate(signed.chain.certificates[0] as string).publicKey.equals(key.publicKey));
  });

  it('refuses a CSR whose signature was tampered with', async () => {
    const key = ec();
    await refused(csrField(key.publicKey, key.privateKey, true), /proof of possession/);
  });

  it('refuses a CSR for one key signed by another (no proof for the key it asks to certify)', async () => {
    await refused(csrField(ec().publicKey, ec().privateKey), /proof of possession/);
  });

  it('refuses CSRs for keys Fulcio refuses: RSA-1024, secp256k1', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await refused(csrField(weak.publicKey, weak.privateKey), /unsupported key/);
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    await refused(csrField(k1.publicKey, k1.privateKey), /unsupported key/);
  });

  it('refuses bytes that are not a CSR', async () => {
    await refused(Buffer.from('not pem').toString('base64'), /certificateSigningRequest/);
    const pem = '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n';
    await refused(Buffer.from(pem).toString('base64'), /not a PKCS#10/);
  });
});
