/**
 * The seams through which notation verification reaches the checks that live in their own modules:
 * revocation (OCSP / CRL, src/notation/revocation.ts) and RFC 3161 timestamp countersignatures
 * (src/notation/timestamp.ts). verifyNotationSignatures calls them when the trust policy asks for those
 * checks; when one is not supplied, the check fails closed (see verify.ts) except where no network check
 * is needed at all (a chain whose certificates name no OCSP or CRL endpoint is not revocable: notation's
 * "non-revokable", which counts as good).
 */
import type { NotationCertificate } from './certificate.js';
import type { TrustStoreType } from './config-dir.js';
import type { TrustPolicyDocument } from './trust-policy.js';

/** notation's per-certificate revocation results: ok and nonRevokable count as good. */
export type RevocationStatus = 'ok' | 'nonRevokable' | 'revoked' | 'unknown';

export interface CertificateRevocationResult {
  status: RevocationStatus;
  /** Why the status is unknown (responder unreachable, bad response...), for the message. */
  reason?: string;
}

export interface RevocationChecker {
  /**
   * One result per certificate of `chain`, in the same order (leaf first; the root is nonRevokable).
   * `purpose` picks the EKU rules for OCSP/CRL signers; `authenticSigningTime` (signing-authority scheme)
   * lets a certificate revoked after that time with reason unspecified/keyCompromise... be judged as the
   * specification says. Must not throw for an unreachable server: that is `unknown`.
   */
  checkChain(
    chain: readonly NotationCertificate[],
    options: { purpose: 'codeSigning' | 'timestamping'; authenticSigningTime?: Date },
  ): Promise<CertificateRevocationResult[]>;
}

export interface VerifiedTimestamp {
  /** The time the TSA vouches for, widened by its accuracy: [earliest, latest]. */
  earliest: Date;
  latest: Date;
  /** The TSA's chain as it was verified, signing certificate first, ending at a trusted root. */
  tsaChain: NotationCertificate[];
}

export interface TimestampVerifier {
  /**
   * Verifies an RFC 3161 TimeStampToken (DER ContentInfo) from the envelope's unprotected header: its
   * message imprint is over `signature` (the envelope's signature bytes), its CMS signature verifies, and
   * its chain leads to one of `trustedRoots` (the policy's tsa: stores) at the timestamp's time with a
   * valid timestamping chain. Throws SigilError with the reason otherwise.
   */
  verify(
    token: Buffer,
    signature: Buffer,
    options: { trustedRoots: readonly NotationCertificate[] },
  ): Promise<VerifiedTimestamp>;
}

export interface NotationVerifyOptions {
  trustPolicy: TrustPolicyDocument;
  /** A named trust store's certificates (trust-store.ts loadTrustStore bound to a configuration directory). */
  trustStore: (type: TrustStoreType, name: string) => NotationCertificate[];
  revocation?: RevocationChecker;
  timestamp?: TimestampVerifier;
  /** Annotations each signature's payload must carry (notation verify --user-metadata). */
  userMetadata?: Record<string, string>;
  /** The time of verification (default: now). */
  now?: Date;
  /** notation tries at most this many signatures (its --max-signatures, default 100). */
  maxSignatures?: number;
}
