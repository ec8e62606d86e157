/**
 * RFC 3161 timestamps for Notation signatures: asking a TSA for a countersignature when signing
 * (`notation sign --timestamp-url ... --timestamp-root-cert ...`), and the timestamp seam of
 * verifyNotationSignatures (verify-options.ts), whose authenticTimestamp check decides when a timestamp
 * is needed and compares its time range with the signing chain.
 */
import type { X509Certificate } from 'node:crypto';
import { children, readTlv, SigilError, tlvBytes } from '../core/index.js';
import { type HashName, requestTimestamp } from '../tsa/index.js';
import { parseCertificate } from './certificate.js';
import { type RevocationOptions, verifyChainRevocation } from './revocation.js';
import { verifyTimestampToken } from './timestamp-token.js';
import type { TimestampVerifier } from './verify-options.js';

export { type TimestampTokenInfo, verifyTimestampToken } from './timestamp-token.js';

/** The timestamp seam: the token verified under the policy's tsa: roots (timestamp-token.ts). */
export function createTimestampVerifier(): TimestampVerifier {
  return {
    async verify(token, signature, { trustedRoots }) {
      const verified = verifyTimestampToken(
        token,
        signature,
        trustedRoots.map((root) => root.x509),
      );
      return {
        earliest: verified.lower,
        latest: verified.upper,
        tsaChain: verified.tsaChain.map((certificate, i) =>
          parseCertificate(certificate.raw, `TSA certificate ${i + 1}`),
        ),
      };
    },
  };
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
  if (options.tsaRoots.length === 0) {
    throw new SigilError('BAD_INPUT', `timestamp from ${url}: no TSA root certificate to verify it with`);
  }
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
