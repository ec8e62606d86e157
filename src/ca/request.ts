/**
 * Fulcio v2 `CreateSigningCertificateRequest` in its JSON form: the OIDC token plus either a public key
 * with a proof of possession (a signature over the token's challenge claim) or a PKCS#10 CSR (whose own
 * signature is the proof). The token is in `credentials` or, as sigstore-go (cosign v3) sends it, in the
 * `Authorization: Bearer` header, which Fulcio's HTTP gateway accepts when `credentials` is absent.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { CertificationRequest } from '@peculiar/asn1-csr';
import {
  decodePem,
  fromBase64,
  lazy,
  loadAsn1Csr,
  loadAsn1Schema,
  loadZod,
  SigilError,
} from '../core/index.js';
import { assertSupportedKey, loadPublicKeyPem, verifySignature } from '../crypto/index.js';
import { subjectPublicKeyInfo } from './public-key-info.js';

export interface SigningCertRequest {
  token: string;
  publicKey: KeyObject;
  /** The key's SubjectPublicKeyInfo DER, as the certificate will carry it. */
  publicKeyInfo: Buffer;
  /** Checks the proof of possession against the token's challenge claim. */
  proves(challenge: string): boolean;
}

const requestSchema = lazy(() => {
  const { z } = loadZod();
  return z.object({
    credentials: z.object({ oidcIdentityToken: z.string().min(1) }).optional(),
    publicKeyRequest: z
      .object({
        publicKey: z.object({ algorithm: z.string().optional(), content: z.string().min(1) }),
        proofOfPossession: z.string().min(1),
      })
      .optional(),
    certificateSigningRequest: z.string().min(1).optional(),
  });
});

/** How errors name the key and its proof (the legacy v1 request calls them differently). */
export interface KeyFieldNames {
  publicKey: string;
  proof: string;
}

const V2_FIELDS: KeyFieldNames = {
  publicKey: 'publicKeyRequest.publicKey',
  proof: 'publicKeyRequest.proofOfPossession',
};

export function parseSigningCertRequest(
  body: unknown,
  authorization?: string,
  fields: KeyFieldNames = V2_FIELDS,
): SigningCertRequest {
  const parsed = requestSchema().safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SigilError(
      'BAD_INPUT',
      `signing certificate request: ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
    );
  }
  const { credentials, publicKeyRequest, certificateSigningRequest } = parsed.data;
  const token = credentials?.oidcIdentityToken ?? bearerToken(authorization);
  if (token === undefined) {
    throw new SigilError(
      'BAD_TOKEN',
      'signing certificate request: no identity token (neither credentials.oidcIdentityToken nor an Authorization: Bearer header)',
    );
  }
  if (publicKeyRequest && certificateSigningRequest) {
    throw new SigilError('BAD_INPUT', 'signing certificate request: give a public key or a CSR, not both');
  }
  if (certificateSigningRequest) return fromCsr(token, certificateSigningRequest);
  if (!publicKeyRequest) {
    throw new SigilError(
      'BAD_INPUT',
      'signing certificate request: publicKeyRequest or certificateSigningRequest is required',
    );
  }
  const { content } = publicKeyRequest.publicKey;
  const publicKey = supportedKey(loadPublicKeyPem(content, fields.publicKey));
  const { label, der } = decodePem(content, fields.publicKey, [
    'PUBLIC KEY',
    'RSA PUBLIC KEY',
    'CERTIFICATE',
  ]);
  return withProof(
    token,
    publicKey,
    label === 'PUBLIC KEY' ? der : undefined,
    fromBase64(publicKeyRequest.proofOfPossession, fields.proof),
  );
}

/** A key whose proof of possession is a signature over the token's challenge; `spki` is its DER if at hand. */
function withProof(
  token: string,
  publicKey: KeyObject,
  spki: Buffer | undefined,
  signature: Buffer,
): SigningCertRequest {
  return {
    token,
    publicKey,
    publicKeyInfo: subjectPublicKeyInfo(publicKey, spki),
    proves: (challenge) => verifySignature(publicKey, Buffer.from(challenge, 'utf8'), signature),
  };
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  return match?.[1];
}

const CSR_SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
};

/** A CSR proves possession by its own signature; the field holds base64 of the PEM (protobuf bytes). */
function fromCsr(token: string, field: string): SigningCertRequest {
  const pem = fromBase64(field, 'certificateSigningRequest').toString('utf8');
  const { der } = decodePem(pem, 'certificateSigningRequest', ['CERTIFICATE REQUEST']);
  const { AsnConvert } = loadAsn1Schema();
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(der, loadAsn1Csr().CertificationRequest);
  } catch {
    throw new SigilError('BAD_INPUT', 'certificateSigningRequest: not a PKCS#10 certification request');
  }
  const spki = Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo));
  const publicKey = supportedKey(createPublicKey({ key: spki, format: 'der', type: 'spki' }));
  const algorithm = csr.signatureAlgorithm.algorithm;
  const hash = publicKey.asymmetricKeyType === 'ed25519' ? null : CSR_SIGNATURE_HASHES[algorithm];
  if (hash === undefined) {
    throw new SigilError(
      'UNSUPPORTED',
      `certificateSigningRequest: signature algorithm ${algorithm} is not supported`,
    );
  }
  const info = csr.certificationRequestInfoRaw ?? AsnConvert.serialize(csr.certificationRequestInfo);
  const valid = safeVerify(hash, Buffer.from(info), publicKey, Buffer.from(csr.signature));
  return { token, publicKey, publicKeyInfo: subjectPublicKeyInfo(publicKey, spki), proves: () => valid };
}

function safeVerify(hash: string | null, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

function supportedKey(key: KeyObject): KeyObject {
  if (key.type !== 'public') throw new SigilError('BAD_KEY', 'publicKeyRequest.publicKey: not a public key');
  return assertSupportedKey(key, 'the public key to certify');
}
