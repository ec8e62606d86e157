/**
 * RFC 3161 timestamps for Notation signatures: asking a TSA for a countersignature when signing
 * (`notation sign --timestamp-url ... --timestamp-root-cert ...`), and the trust policy's
 * `authenticTimestamp` check when verifying, as notation-go's verifier does it:
 *
 * - `notary.x509.signingAuthority`: the signed signing time must lie within every certificate of the
 *   chain (the signing authority vouches for it).
 * - `notary.x509`: the timestamp is verified only when the policy names a `tsa` trust store and
 *   `verifyTimestamp` is `always` (the default), or `afterCertExpiry` and a certificate of the chain has
 *   expired. Then the countersignature must be present, verify under the `tsa` store, its whole time
 *   range (genTime ± accuracy) must lie within every certificate's validity, and the TSA chain must not
 *   be revoked nor of unknown status. Without timestamp verification every certificate must be valid now.
 *
 * Each failure throws one SigilError line; the caller applies the policy's `authenticTimestamp` action
 * (enforce fails the signature, log records the line).
 */
import type { X509Certificate } from 'node:crypto';
import { children, readTlv, SigilError, tlvBytes } from '../core/index.js';
import { type HashName, requestTimestamp } from '../tsa/index.js';
import { type RevocationOptions, verifyChainRevocation } from './revocation.js';
import { subjectText } from './revocation-certificate.js';
import { type VerifiedTimestamp, verifyTimestampToken } from './timestamp-token.js';

export { type VerifiedTimestamp, verifyTimestampToken } from './timestamp-token.js';

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

export interface AuthenticTimestampInput {
  signingScheme: SigningScheme;
  /** The signing certificate chain, leaf first. */
  signingChain: readonly X509Certificate[];
  /** The signature value the timestamp countersigns (the JWS signature bytes, or COSE's signature). */
  signature: Uint8Array;
  /** The DER TimeStampToken of the envelope's unsigned attribute, if any. */
  timestampToken?: Uint8Array;
  /** `notary.x509.signingAuthority`'s signed signing time. */
  signingTime?: Date;
  /** The roots of the policy's `tsa` trust stores; undefined when the policy names none. */
  tsaRoots?: readonly X509Certificate[];
  verifyTimestamp?: 'always' | 'afterCertExpiry';
  now?: Date;
  /** Options for the TSA chain's revocation check. */
  revocation?: RevocationOptions;
}

/** What the check established: the verified timestamp, when one was verified. */
export interface AuthenticTimestamp {
  timestamp?: VerifiedTimestamp;
}

export async function checkAuthenticTimestamp(input: AuthenticTimestampInput): Promise<AuthenticTimestamp> {
  const now = input.now ?? new Date();
  const fail = (reason: string): never => {
    throw new SigilError('SIGNATURE_MISMATCH', reason);
  };
  if (input.signingScheme === 'notary.x509.signingAuthority') {
    const time =
      input.signingTime ?? fail('the signingAuthority signature carries no authentic signing time');
    for (const certificate of input.signingChain) {
      if (time < new Date(certificate.validFrom) || time > new Date(certificate.validTo)) {
        fail(
          `certificate "${subjectText(certificate)}" was not valid when the signature was produced at ${time.toISOString()}`,
        );
      }
    }
    return {};
  }
  const expired = input.signingChain.some((certificate) => now > new Date(certificate.validTo));
  const verify = input.tsaRoots !== undefined && (input.verifyTimestamp !== 'afterCertExpiry' || expired);
  if (!verify) {
    for (const certificate of input.signingChain) {
      if (now < new Date(certificate.validFrom)) {
        fail(
          `verification time is before certificate "${subjectText(certificate)}" validity period, it will be valid from ${new Date(certificate.validFrom).toISOString()}`,
        );
      }
      if (now > new Date(certificate.validTo)) {
        fail(
          `verification time is after certificate "${subjectText(certificate)}" validity period, it was expired at ${new Date(certificate.validTo).toISOString()}`,
        );
      }
    }
    return {};
  }
  if (!input.timestampToken || input.timestampToken.length === 0) {
    fail('no timestamp countersignature was found in the signature envelope');
  }
  if (!input.tsaRoots || input.tsaRoots.length === 0) fail('no trusted TSA certificate found in trust store');
  const timestamp = verifyTimestampToken(
    input.timestampToken as Uint8Array,
    input.signature,
    input.tsaRoots as X509Certificate[],
  );
  for (const certificate of input.signingChain) {
    if (timestamp.lower < new Date(certificate.validFrom)) {
      fail(
        `timestamp can be before certificate "${subjectText(certificate)}" validity period, it will be valid from ${new Date(certificate.validFrom).toISOString()}`,
      );
    }
    if (timestamp.upper > new Date(certificate.validTo)) {
      fail(
        `timestamp can be after certificate "${subjectText(certificate)}" validity period, it was expired at ${new Date(certificate.validTo).toISOString()}`,
      );
    }
  }
  const revocation = await verifyChainRevocation(timestamp.tsaChain, 'timestamping', input.revocation);
  if (revocation.status !== 'ok')
    fail(revocation.message ?? 'timestamping certificate revocation status is unknown');
  return { timestamp };
}

export interface TimestampRequestOptions {
  /** The hash of the signature algorithm (SHA-256 for ES256/PS256, SHA-384 for ES384...), as notation. */
  hash: HashName;
  /** `--timestamp-root-cert`: the TSA chain must lead to one of these. */
  tsaRoots: readonly X509Certificate[];
  timeoutMs?: number;
  revocation?: RevocationOptions;
}

/**
 * A countersignature for `signature` from the TSA at `url`: the DER TimeStampToken, checked as notation
 * checks it before embedding it (a chain to `tsaRoots` meeting the timestamping requirements, not
 * revoked). The request carries a nonce and certReq; the reply must echo both the imprint and nonce.
 */
export async function requestTimestampToken(
  url: string,
  signature: Uint8Array,
  options: TimestampRequestOptions,
): Promise<Buffer> {
  const response = Buffer.from(
    await requestTimestamp(url, signature, {
      hash: options.hash,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
  const token = tokenOfResponse(response);
  const { tsaChain } = verifyTimestampToken(token, signature, options.tsaRoots);
  const revocation = await verifyChainRevocation(tsaChain, 'timestamping', options.revocation);
  if (revocation.status !== 'ok') {
    throw new SigilError('SIGNATURE_MISMATCH', `timestamp from ${url}: ${revocation.message}`);
  }
  return Buffer.from(token);
}

/** The TimeStampToken of a granted DER TimeStampResp { status, timeStampToken }, as the TSA wrote it. */
export function tokenOfResponse(response: Buffer): Buffer {
  const [, token] = children(response, readTlv(response, 0, 'TimeStampResp'), 'TimeStampResp');
  if (!token) throw new SigilError('SERVICE_ERROR', 'the timestamp response carries no token');
  return Buffer.from(tlvBytes(response, token));
}
