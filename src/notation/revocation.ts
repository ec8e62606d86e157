/**
 * Revocation of a certificate chain as the Notary Project's trust store and trust policy specification
 * and notation-core-go define it: for every certificate but the root (which nothing can revoke), OCSP
 * when the certificate names a responder, falling back to its CRL distribution points when OCSP cannot
 * tell; CRL alone when only those are named; nothing to check otherwise. Certificates are checked
 * concurrently. The chain's verdict is `revoked` if any certificate is, else `unknown` if any could not
 * be determined, else `ok`; the trust policy's `revocation` level turns a non-ok verdict into a failure
 * (enforce) or a logged line (log), for the code signing chain and, inside the authentic timestamp
 * check, for the timestamping chain.
 *
 * Not done, as notation: OCSP responder certificates are not themselves checked for revocation
 * (id-pkix-ocsp-nocheck is not looked at), indirect CRLs are not supported, nothing is cached.
 */
import type { X509Certificate } from 'node:crypto';
import { SigilError } from '../core/index.js';
import { CRL_TIMEOUT_MS, checkCrl } from './crl.js';
import { checkOcsp, OCSP_TIMEOUT_MS } from './ocsp.js';
import { revocationEndpoints, subjectText } from './revocation-certificate.js';
import type { CertificateRevocation } from './revocation-result.js';
import type { RevocationChecker } from './verify-options.js';

export type { CertificateRevocation, RevocationMethod, ServerResult } from './revocation-result.js';

/** Which chain is checked: it only changes the words of the verdict. */
export type ChainPurpose = 'codeSigning' | 'timestamping';

export interface RevocationOptions {
  /**
   * An authentic signing time (the signingAuthority scheme's signing time, or a verified timestamp):
   * a revocation whose invalidity date is after it does not count.
   */
  signingTime?: Date;
  /** The time the responses must be fresh at (default: now). */
  now?: Date;
  ocspTimeoutMs?: number;
  crlTimeoutMs?: number;
}

/** The revocation status of each certificate of `chain` (leaf first, ending at the trusted root). */
export async function checkChainRevocation(
  chain: readonly X509Certificate[],
  options: RevocationOptions = {},
): Promise<CertificateRevocation[]> {
  if (chain.length === 0)
    throw new SigilError('BAD_CERTIFICATE', 'revocation check: the certificate chain is empty');
  chain.forEach((certificate, i) => {
    const issuer = chain[i + 1];
    if (issuer && !certificate.checkIssued(issuer)) {
      throw new SigilError(
        'BAD_CERTIFICATE',
        `revocation check: certificate ${i + 1} (${subjectText(certificate)}) is not issued by the next one in the chain`,
      );
    }
  });
  const now = options.now ?? new Date();
  const common = { now, ...(options.signingTime ? { signingTime: options.signingTime } : {}) };
  const checks = chain.map(async (certificate, i): Promise<CertificateRevocation> => {
    const issuer = chain[i + 1];
    if (!issuer) return { status: 'nonRevokable', method: 'none', servers: [] };
    const endpoints = revocationEndpoints(certificate);
    const crl = () =>
      checkCrl(certificate, issuer, endpoints.crl, {
        ...common,
        timeoutMs: options.crlTimeoutMs ?? CRL_TIMEOUT_MS,
        certificateHasFreshestCrl: endpoints.freshestCrl,
      });
    if (endpoints.ocsp.length > 0) {
      const servers = await checkOcsp(certificate, issuer, endpoints.ocsp, {
        ...common,
        timeoutMs: options.ocspTimeoutMs ?? OCSP_TIMEOUT_MS,
      });
      const last = servers[servers.length - 1];
      const status = last?.status ?? 'unknown';
      if (status !== 'unknown' || endpoints.crl.length === 0) return { status, method: 'ocsp', servers };
      const fallback = await crl();
      return { ...fallback, method: 'ocspFallbackCrl', servers: [...servers, ...fallback.servers] };
    }
    if (endpoints.crl.length > 0) return crl();
    return { status: 'nonRevokable', method: 'none', servers: [] };
  });
  return Promise.all(checks);
}

export interface RevocationVerdict {
  status: 'ok' | 'revoked' | 'unknown';
  /** notation's words, e.g. `signing certificate with subject "CN=x" is revoked`; absent when ok. */
  message?: string;
  /** Each server's error, for the log lines notation writes (certificate number, method, URL, error). */
  details: string[];
}

/** The chain's verdict from its certificates' results (notation's revocationFinalResult). */
export function revocationVerdict(
  chain: readonly X509Certificate[],
  results: readonly CertificateRevocation[],
  purpose: ChainPurpose = 'codeSigning',
): RevocationVerdict {
  const details: string[] = [];
  let revoked: string | undefined;
  let unknown: string | undefined;
  results.forEach((result, i) => {
    const certificate = chain[i];
    if (!certificate) return;
    const subject = subjectText(certificate);
    for (const server of result.servers) {
      if (server.error)
        details.push(
          `certificate #${i + 1} (${subject}) ${server.method.toUpperCase()} ${server.server}: ${server.error}`,
        );
    }
    if (result.status === 'revoked') revoked ??= subject;
    else if (result.status === 'unknown') unknown ??= subject;
  });
  const what = purpose === 'timestamping' ? 'timestamping certificate' : 'signing certificate';
  if (revoked) return { status: 'revoked', message: `${what} with subject "${revoked}" is revoked`, details };
  if (unknown) {
    return {
      status: 'unknown',
      message: `${what} with subject "${unknown}" revocation status is unknown`,
      details,
    };
  }
  return { status: 'ok', details };
}

/** Checks `chain` and returns its verdict in one call. */
export async function verifyChainRevocation(
  chain: readonly X509Certificate[],
  purpose: ChainPurpose,
  options: RevocationOptions = {},
): Promise<RevocationVerdict> {
  return revocationVerdict(chain, await checkChainRevocation(chain, options), purpose);
}

/**
 * The revocation seam of verifyNotationSignatures (verify-options.ts) over OCSP and CRLs: one result per
 * certificate, the servers' errors as the reason when the status is not good.
 */
export function createRevocationChecker(
  options: Omit<RevocationOptions, 'signingTime'> = {},
): RevocationChecker {
  return {
    async checkChain(chain, { authenticSigningTime }) {
      const results = await checkChainRevocation(
        chain.map((certificate) => certificate.x509),
        { ...options, ...(authenticSigningTime ? { signingTime: authenticSigningTime } : {}) },
      );
      return results.map((result) => {
        const reasons = result.servers.flatMap((server) => (server.error ? [server.error] : []));
        return { status: result.status, ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}) };
      });
    },
  };
}
