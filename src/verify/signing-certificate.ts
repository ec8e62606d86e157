/**
 * A keyless bundle's signing certificate, parsed once per DER rather than once per bundle: a CI job signs
 * many artifacts with one certificate, and parsing (two X.509 parsers, the public key, the identity's
 * extensions) cost more than the signature checks. An entry depends on the DER alone, so it can be shared
 * by every trusted root and policy: whether the certificate is trusted is decided by the verifier, per root.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { BoundedMap, SigilError, sha256 } from '../core/index.js';
import { type CertificateIdentity, certificateIdentity } from './certificate-identity.js';

export interface SigningCertificate {
  /** SHA-256 of the DER, in hex: the cache key, and the hint the verifier finds the certificate by. */
  fingerprint: string;
  certificate: X509Certificate;
  /** The same certificate as @sigstore/verify's chain and SCT checks take it. */
  parsed: SigstoreCertificate;
  publicKey: KeyObject;
  /** The identity it vouches for; read on first use, after the certificate has been verified. */
  identity(): CertificateIdentity;
}

const MAX_CERTIFICATES = 1024;
const parsedByFingerprint = new BoundedMap<string, SigningCertificate>(MAX_CERTIFICATES);

export function signingCertificate(bundle: Bundle): SigningCertificate {
  const der = leafDer(bundle);
  const fingerprint = sha256(der).toString('hex');
  return parsedByFingerprint.getOrSet(fingerprint, () => parse(der, fingerprint));
}

function leafDer(bundle: Bundle): Buffer {
  const material = bundle.verificationMaterial.content;
  const der =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (!der)
    throw new SigilError('BAD_BUNDLE', 'the signature carries no certificate (it was signed with a key)');
  return der;
}

function parse(der: Buffer, fingerprint: string): SigningCertificate {
  let certificate: X509Certificate;
  let parsed: SigstoreCertificate;
  try {
    certificate = new X509Certificate(der);
    parsed = SigstoreCertificate.parse(Buffer.from(der));
  } catch {
    throw new SigilError('BAD_CERTIFICATE', 'the signing certificate is not a valid X.509 certificate');
  }
  let identity: CertificateIdentity | undefined;
  return {
    fingerprint,
    certificate,
    parsed,
    // From the SubjectPublicKeyInfo, as @sigstore/verify builds the signer's key.
    publicKey: createPublicKey({ key: parsed.publicKey, format: 'der', type: 'spki' }),
    identity: () => {
      identity ??= certificateIdentity(certificate);
      return identity;
    },
  };
}
