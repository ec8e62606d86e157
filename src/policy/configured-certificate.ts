/**
 * The certificate a Kyverno `certificates` attestor names (`cert`), checked as cosign checks it for
 * Kyverno: against `certChain` when one is given (a path through the chain to a self-signed root in it,
 * every issuer a CA, each certificate valid when the leaf was issued, at most 10 intermediates), and with
 * its embedded SCT required unless `ctlog.ignoreSCT`. Without a chain the certificate only carries the key.
 * Checked once per attestor: a policy reload brings new attestors.
 */
import type { X509Certificate } from 'node:crypto';
import { SigilError } from '../core/index.js';
import { certificatesFromPem } from '../crypto/index.js';
import type { Attestor } from './model.js';

type CertificateAttestor = Extract<Attestor, { kind: 'certificate' }>;

/** Kyverno's bound (CVE-2026-32280): a leaf, at most 10 intermediates, and a root. */
const MAX_CHAIN_CERTIFICATES = 11;

const checked = new WeakMap<CertificateAttestor, X509Certificate>();

export function configuredCertificate(attestor: CertificateAttestor): X509Certificate {
  let certificate = checked.get(attestor);
  if (!certificate) {
    certificate = checkCertificate(attestor);
    checked.set(attestor, certificate);
  }
  return certificate;
}

function checkCertificate(attestor: CertificateAttestor): X509Certificate {
  const [certificate] = certificatesFromPem(attestor.cert ?? '', 'certificates.cert');
  if (!certificate) throw new SigilError('BAD_PEM', 'certificates.cert: no CERTIFICATE block found');
  if (!attestor.certChain) return certificate;
  const chain = certificatesFromPem(attestor.certChain, 'certificates.certChain');
  if (chain.length > MAX_CHAIN_CERTIFICATES) {
    throw new SigilError(
      'BAD_CERTIFICATE',
      `certificates.certChain: ${chain.length} certificates, at most ${MAX_CHAIN_CERTIFICATES} are allowed`,
    );
  }
  checkPath(certificate, chain);
  if (!attestor.ctlog.ignoreSct) {
    throw new SigilError(
      'UNSUPPORTED',
      "certificates.cert with certChain: checking the certificate's embedded SCT is not supported",
      'set ctlog.ignoreSCT: true',
    );
  }
  return certificate;
}

/** Walks from `leaf` to a self-signed root of `chain`; cosign checks the path at the leaf's issuance. */
function checkPath(leaf: X509Certificate, chain: X509Certificate[]): void {
  const at = new Date(leaf.validFrom);
  let current = leaf;
  for (let depth = 0; depth <= chain.length; depth++) {
    const issuer = chain.find(
      (candidate) => current.checkIssued(candidate) && current.verify(candidate.publicKey),
    );
    if (!issuer) {
      throw new SigilError(
        'BAD_CERTIFICATE',
        `certificates.cert does not chain to certChain: no issuer of ${named(current)} in it`,
      );
    }
    if (!issuer.ca) {
      throw new SigilError('BAD_CERTIFICATE', `certificates.certChain: ${named(issuer)} is not a CA`);
    }
    for (const certificate of [current, issuer]) {
      if (at < new Date(certificate.validFrom) || at > new Date(certificate.validTo)) {
        throw new SigilError(
          'BAD_CERTIFICATE',
          `certificates: ${named(certificate)} was not valid when the certificate was issued (${at.toISOString()})`,
        );
      }
    }
    if (issuer.checkIssued(issuer) && issuer.verify(issuer.publicKey)) return;
    current = issuer;
  }
  throw new SigilError('BAD_CERTIFICATE', 'certificates.certChain: no self-signed root ends the path');
}

/** A certificate by its subject, or by its SANs when the subject is empty (Fulcio's certificates). */
function named(certificate: X509Certificate): string {
  const name = certificate.subject || certificate.subjectAltName || 'a certificate without names';
  return `"${name.replaceAll('\n', ', ')}"`;
}
