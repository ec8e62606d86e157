/**
 * @sigstore/verify's keyless checks, with the work that does not change from one bundle to the next done
 * once. Its Verifier checks every bundle's certificate chain and SCT from scratch (path building with
 * X.509 re-encoding, three signature checks, the SCT's pre-certificate rebuilt), which cost twenty times
 * the rest of a verification. Here the Verifier still checks the timestamps, the log entries and the
 * signature of every bundle, but it is handed the signing certificate as a key whose validity at each
 * signing time is our check: the same chain and SCT checks as @sigstore/verify's (its own functions),
 * remembered per certificate, with only the time checks run again per bundle.
 *
 * What is remembered, and why it cannot let anything through that the full check would refuse:
 * - one verifier per trusted-root object (and option set): a new root (a CA or log removed, a validity
 *   period ended) gets a new verifier with nothing remembered;
 * - per certificate DER and certificate authority of that root, the path found from the certificate to
 *   the authority's certificates (which depends on neither time nor bundle); the authority's validity
 *   and every certificate's validity at the signing time are checked for each bundle;
 * - per certificate DER and issuer, the SCTs verified against that root's CT logs (the SCT is inside the
 *   certificate, its log's validity checked at the SCT's own time, so neither depends on the bundle).
 * Failures are not remembered. The artifact, the signature, the log entries and the identity policy are
 * checked for every bundle.
 */
import { isDeepStrictEqual } from 'node:util';
import type { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type KeyFinderFunc,
  type SignedEntity,
  type TrustMaterial,
  toTrustMaterial,
  VerificationError,
  Verifier,
} from '@sigstore/verify';
// Not on @sigstore/verify's public face, but the very checks its Verifier runs for a certificate: using
// them keeps the outcome identical to its own (pinned by the lock file; the conformance suite runs them).
import { CertificateChainVerifier } from '@sigstore/verify/dist/key/certificate.js';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import { BoundedMap } from '../core/index.js';
import type { SigningCertificate } from './signing-certificate.js';

type CertificateAuthority = TrustMaterial['certificateAuthorities'][number];

interface CertificatePath {
  certificates: SigstoreCertificate[];
  /** Each certificate's notBefore and notAfter, in ms: the time check run per bundle. */
  validity: Array<[number, number]>;
}

/** What one signing certificate was found to be under one trusted root. */
interface CertificateTrust {
  pathTo: Map<CertificateAuthority, CertificatePath>;
  /** Verified SCT log IDs, by the issuer the SCT was checked with. */
  sctsBy: Map<SigstoreCertificate, Buffer[]>;
}

export interface KeylessVerifierOptions {
  ignoreTlog: boolean;
  ignoreSct: boolean;
}

const MAX_CERTIFICATES_PER_ROOT = 1024;

export class KeylessVerifier {
  private readonly material: TrustMaterial;
  private readonly verifier: Verifier;
  private readonly trustOf = new BoundedMap<string, CertificateTrust>(MAX_CERTIFICATES_PER_ROOT);
  /** The certificate of the bundle being verified (verification is synchronous: one at a time). */
  private current: SigningCertificate | undefined;

  constructor(
    root: TrustedRoot,
    private readonly options: KeylessVerifierOptions,
  ) {
    this.material = toTrustMaterial(root, this.signingKey);
    this.verifier = new Verifier(this.material, {
      tlogThreshold: options.ignoreTlog ? 0 : 1,
      ctlogThreshold: options.ignoreSct ? 0 : 1,
      timestampThreshold: 1,
    });
  }

  /**
   * Throws @sigstore/verify's VerificationError unless `entity`, whose key hint is the certificate's
   * fingerprint, is signed by `certificate` and that certificate is trusted at each signing time.
   */
  verify(entity: SignedEntity, certificate: SigningCertificate): void {
    this.current = certificate;
    try {
      this.verifier.verify(entity);
    } finally {
      this.current = undefined;
    }
  }

  private readonly signingKey: KeyFinderFunc = (hint) => {
    const certificate = this.current;
    if (certificate?.fingerprint !== hint) {
      throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: `key not found: ${hint}` });
    }
    return { publicKey: certificate.publicKey, validFor: (date) => this.checkAt(certificate, date) };
  };

  /**
   * @sigstore/verify's certificate checks at one signing time (a chain to an authority valid then, every
   * certificate on it valid then, SCTs from trusted CT logs); like them it throws rather than say false.
   */
  private checkAt(certificate: SigningCertificate, date: Date): true {
    const trust = this.trustOf.getOrSet(certificate.fingerprint, () => ({
      pathTo: new Map(),
      sctsBy: new Map(),
    }));
    const path = this.pathAt(certificate, trust, date);
    // cosign's --insecure-ignore-sct skips the SCT check altogether, even an SCT from a log not trusted
    // (@sigstore/verify still checks every embedded SCT with a threshold of 0).
    if (this.options.ignoreSct) return true;
    const scts = this.verifiedScts(trust, path);
    if (scts.some((sct, i) => scts.slice(i + 1).some((other) => isDeepStrictEqual(sct, other)))) {
      throw new VerificationError({ code: 'CERTIFICATE_ERROR', message: 'duplicate SCT' });
    }
    if (scts.length < 1) {
      throw new VerificationError({
        code: 'CERTIFICATE_ERROR',
        message: `expected 1 SCTs, got ${scts.length}`,
      });
    }
    return true;
  }

  private pathAt(
    certificate: SigningCertificate,
    trust: CertificateTrust,
    date: Date,
  ): SigstoreCertificate[] {
    const at = date.getTime();
    let failure: unknown;
    for (const authority of this.material.certificateAuthorities) {
      if (!(authority.validFor.start <= date && authority.validFor.end >= date)) continue;
      const known = trust.pathTo.get(authority);
      if (known) {
        if (known.validity.every(([from, to]) => from <= at && at <= to)) return known.certificates;
        failure = new VerificationError({
          code: 'CERTIFICATE_ERROR',
          message: 'certificate is not valid or expired at the specified date',
        });
        continue;
      }
      try {
        const certificates = new CertificateChainVerifier({
          trustedCerts: authority.certChain,
          untrustedCert: certificate.parsed,
          timestamp: date,
        }).verify();
        trust.pathTo.set(authority, {
          certificates,
          validity: certificates.map((c) => [c.notBefore.getTime(), c.notAfter.getTime()]),
        });
        return certificates;
      } catch (err) {
        failure = err;
      }
    }
    throw new VerificationError({
      code: 'CERTIFICATE_ERROR',
      message: 'Failed to verify certificate chain',
      cause: failure,
    });
  }

  private verifiedScts(trust: CertificateTrust, path: SigstoreCertificate[]): Buffer[] {
    const [leaf, issuer] = path;
    if (!leaf || !issuer) {
      throw new VerificationError({ code: 'CERTIFICATE_ERROR', message: 'no issuer to check the SCT with' });
    }
    let scts = trust.sctsBy.get(issuer);
    if (!scts) {
      scts = verifySCTs(leaf, issuer, this.material.ctlogs);
      trust.sctsBy.set(issuer, scts);
    }
    return scts;
  }
}

// Verifiers are built per root object and option set: trust material costs as much as many verifications.
const verifiers = new WeakMap<TrustedRoot, Map<string, KeylessVerifier>>();

export function keylessVerifier(root: TrustedRoot, options: KeylessVerifierOptions): KeylessVerifier {
  const key = `${options.ignoreTlog}/${options.ignoreSct}`;
  let byOptions = verifiers.get(root);
  if (!byOptions) {
    byOptions = new Map();
    verifiers.set(root, byOptions);
  }
  let verifier = byOptions.get(key);
  if (!verifier) {
    verifier = new KeylessVerifier(root, options);
    byOptions.set(key, verifier);
  }
  return verifier;
}
