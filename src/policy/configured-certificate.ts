/**
 * The certificate a Kyverno `certificates` attestor names (`cert`), checked as cosign checks it for
 * Kyverno: against `certChain` when one is given (a path through the chain to a self-signed root in it,
 * every issuer a CA, each certificate valid when the leaf was issued, at most 10 intermediates), and with
 * its embedded SCT required unless `ctlog.ignoreSCT`. Without a chain the certificate only carries the key.
 * Checked once per attestor: a policy reload brings new attestors.
 */
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { verifyEmbeddedSct } from '../ca/index.js';
import { SigilError } from '../core/index.js';
import { certificatesFromPem, loadPublicKeyPem, requireCertificates } from '../crypto/index.js';
import type { Attestor } from './model.js';

type CertificateAttestor = Extract<Attestor, { kind: 'certificate' }>;

/** Kyverno's bound (CVE-2026-32280): a leaf, at most 10 intermediates, and a root. */
const MAX_CHAIN_CERTIFICATES = 11;

const checked = new WeakMap<CertificateAttestor, X509Certificate>();

/** The attestor's certificate once checked; the CT logs to trust come from `trustedRoot` or `ctlog.pubkey`. */
export function configuredCertificate(
  attestor: CertificateAttestor,
  trustedRoot: TrustedRoot | undefined,
): X509Certificate {
  let certificate = checked.get(attestor);
  if (!certificate) {
    certificate = checkCertificate(attestor, trustedRoot);
    checked.set(attestor, certificate);
  }
  return certificate;
}

function checkCertificate(
  attestor: CertificateAttestor,
  trustedRoot: TrustedRoot | undefined,
): X509Certificate {
  const [certificate] = requireCertificates(attestor.cert ?? '', 'certificates.cert');
  if (!attestor.certChain) return certificate;
  const chain = certificatesFromPem(attestor.certChain, 'certificates.certChain');
  if (chain.length > MAX_CHAIN_CERTIFICATES) {
    throw new SigilError(
      'BAD_CERTIFICATE',
      `certificates.certChain: ${chain.length} certificates, at most ${MAX_CHAIN_CERTIFICATES} are allowed`,
    );
  }
  const issuer = checkPath(certificate, chain);
  if (!attestor.ctlog.ignoreSct) {
    verifyEmbeddedSct(certificate, issuer, ctLogKeys(attestor, trustedRoot), 'certificates.cert');
  }
  return certificate;
}

/**
 * Walks from `leaf` to a self-signed root of `chain`; cosign checks the path at the leaf's issuance.
 * Returns the leaf's issuer.
 */
function checkPath(leaf: X509Certificate, chain: X509Certificate[]): X509Certificate {
  const at = new Date(leaf.validFrom);
  let current = leaf;
  let leafIssuer: X509Certificate | undefined;
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
    leafIssuer ??= issuer;
    if (issuer.checkIssued(issuer) && issuer.verify(issuer.publicKey)) return leafIssuer;
    current = issuer;
  }
  throw new SigilError('BAD_CERTIFICATE', 'certificates.certChain: no self-signed root ends the path');
}

/** The CT log keys an SCT may be signed with: the attestor's `ctlog.pubkey`, else the trusted root's. */
function ctLogKeys(attestor: CertificateAttestor, trustedRoot: TrustedRoot | undefined): KeyObject[] {
  if (attestor.ctlog.publicKey) return [loadPublicKeyPem(attestor.ctlog.publicKey, 'attestor ctlog.pubkey')];
  const keys = (trustedRoot?.ctlogs ?? []).flatMap((log) =>
    log.publicKey?.rawBytes
      ? [createPublicKey({ key: log.publicKey.rawBytes, format: 'der', type: 'spki' })]
      : [],
  );
  if (keys.length === 0) {
    throw new SigilError(
      'BAD_CERTIFICATE',
      'certificates.cert: no trusted CT log to check its SCT with',
      'set ctlog.pubkey (or ctlog.ignoreSCT: true), or give the webhook a trusted root',
    );
  }
  return keys;
}

/** A certificate by its subject, or by its SANs when the subject is empty (Fulcio's certificates). */
function named(certificate: X509Certificate): string {
  const name = certificate.subject || certificate.subjectAltName || 'a certificate without names';
  return `"${name.replaceAll('\n', ', ')}"`;
}
