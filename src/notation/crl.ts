/**
 * CRL checks (RFC 5280) as notation-core-go's revocation/crl does them: every HTTP distribution point of
 * the certificate is fetched (5 s each by default, 32 MiB at most) with the delta CRL its base CRL names
 * in Freshest CRL; each CRL must be signed by the issuing CA, carry a nextUpdate that has not passed and
 * no critical extension but the issuing distribution point; a delta must follow its base. The serial
 * number is then looked up in base and delta: a permanent reason revokes, certificateHold revokes unless
 * a later removeFromCRL lifts it, and an invalidity date after an authentic signing time spares the
 * signature. Any failure to fetch or validate makes the result `unknown`.
 */
import type { X509Certificate } from 'node:crypto';
import { callService, messageOf, readTlv } from '../core/index.js';
import { loadX509 } from '../crypto/index.js';
import { distributionPointUrls, OID_FRESHEST_CRL } from './revocation-certificate.js';
import { type CertificateRevocation, readHttpBody, type ServerResult } from './revocation-result.js';

type X509Module = ReturnType<typeof loadX509>;
type Crl = InstanceType<X509Module['X509Crl']>;

/** The default of the Notary Project specification: 5 seconds per CRL download. */
export const CRL_TIMEOUT_MS = 5000;
const MAX_CRL_BYTES = 32 * 1024 * 1024;

const OID = {
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  invalidityDate: '2.5.29.24',
  reasonCode: '2.5.29.21',
} as const;

const REASON_CERTIFICATE_HOLD = 6;
const REASON_REMOVE_FROM_CRL = 8;

export interface CrlCheckOptions {
  signingTime?: Date;
  now: Date;
  timeoutMs: number;
  /** The certificate itself names a delta CRL location (its Freshest CRL extension). */
  certificateHasFreshestCrl: boolean;
}

export async function checkCrl(
  certificate: X509Certificate,
  issuer: X509Certificate,
  urls: readonly string[],
  options: CrlCheckOptions,
): Promise<CertificateRevocation> {
  const results: ServerResult[] = [];
  for (const url of urls) {
    let result: ServerResult;
    try {
      result = await checkDistributionPoint(certificate, issuer, url, options);
    } catch (err) {
      // notation stops at the first distribution point it cannot use: a partial CRL may be missing.
      return {
        status: 'unknown',
        method: 'crl',
        servers: [{ method: 'crl', server: url, status: 'unknown', error: messageOf(err) }],
      };
    }
    if (result.status === 'revoked') return { status: 'revoked', method: 'crl', servers: [result] };
    results.push(result);
  }
  return { status: 'ok', method: 'crl', servers: results };
}

async function checkDistributionPoint(
  certificate: X509Certificate,
  issuer: X509Certificate,
  url: string,
  options: CrlCheckOptions,
): Promise<ServerResult> {
  const x509 = loadX509();
  const base = await fetchCrl(x509, url, options.timeoutMs);
  const deltaUrls = deltaLocations(x509, base);
  if (options.certificateHasFreshestCrl && deltaUrls.length === 0) {
    throw new Error(
      `CRL ${url}: a delta CRL named only by the certificate's Freshest CRL extension is not supported`,
    );
  }
  const delta = deltaUrls.length > 0 ? await fetchFirst(x509, deltaUrls, options.timeoutMs) : undefined;
  const issuerCertificate = new x509.X509Certificate(issuer.raw);
  await validateCrl(x509, base, issuerCertificate, options.now, `CRL ${url}`);
  if (delta) {
    await validateCrl(x509, delta, issuerCertificate, options.now, 'delta CRL');
    validateDelta(base, delta);
  }
  const status = lookUp(certificate, [base, ...(delta ? [delta] : [])], options.signingTime);
  return status === 'revoked'
    ? { method: 'crl', server: url, status, error: `certificate is revoked (CRL ${url})` }
    : { method: 'crl', server: url, status };
}

async function fetchCrl(x509: X509Module, url: string, timeoutMs: number): Promise<Crl> {
  if (!/^http:\/\//i.test(url)) throw new Error(`CRL URL ${url}: only http URLs are supported`);
  const response = await callService('GET', url, {
    timeoutMs,
    context: 'CRL',
    unreachableHint: 'is the CRL distribution point reachable?',
    headers: { Accept: 'application/pkix-crl' },
  });
  const der = await readHttpBody(response, MAX_CRL_BYTES, `CRL ${url}`);
  try {
    return new x509.X509Crl(der);
  } catch (err) {
    throw new Error(`CRL ${url} is not a DER CertificateList (${messageOf(err)})`);
  }
}

async function fetchFirst(x509: X509Module, urls: string[], timeoutMs: number): Promise<Crl> {
  let last: unknown;
  for (const url of urls) {
    try {
      return await fetchCrl(x509, url, timeoutMs);
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`delta CRL: ${messageOf(last)}`);
}

function deltaLocations(x509: X509Module, crl: Crl): string[] {
  const extension = crl.getExtension(OID_FRESHEST_CRL);
  if (!extension) return [];
  return distributionPointUrls(new x509.CRLDistributionPointsExtension(extension.rawData).distributionPoints);
}

async function validateCrl(
  x509: X509Module,
  crl: Crl,
  issuer: InstanceType<X509Module['X509Certificate']>,
  now: Date,
  what: string,
): Promise<void> {
  const keyUsage = issuer.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.cRLSign)) {
    throw new Error(`${what}: the issuing CA may not sign CRLs (no cRLSign key usage)`);
  }
  let signed = false;
  try {
    signed = await crl.verify({ publicKey: issuer });
  } catch {
    signed = false;
  }
  if (!signed) throw new Error(`${what} is not signed by the issuing CA ${issuer.subject}`);
  if (!crl.nextUpdate) throw new Error(`${what} has no nextUpdate`);
  if (now > crl.nextUpdate) throw new Error(`${what} expired at ${crl.nextUpdate.toISOString()}`);
  for (const extension of crl.extensions) {
    const known = extension.type === OID.issuingDistributionPoint || extension.type === OID.deltaCrlIndicator;
    if (extension.critical && !known)
      throw new Error(`${what} has unsupported critical extension ${extension.type}`);
  }
}

/** RFC 5280 5.2.4: the delta is newer than the base and applies to it (its base number is not above the base's). */
function validateDelta(base: Crl, delta: Crl): void {
  const baseNumber = integerExtension(base, OID.crlNumber);
  const deltaNumber = integerExtension(delta, OID.crlNumber);
  const indicator = integerExtension(delta, OID.deltaCrlIndicator);
  if (indicator === undefined) throw new Error('delta CRL has no delta CRL indicator extension');
  if (baseNumber === undefined || deltaNumber === undefined)
    throw new Error('base or delta CRL has no CRL number');
  if (deltaNumber <= baseNumber)
    throw new Error(`delta CRL number ${deltaNumber} is not greater than the base CRL number ${baseNumber}`);
  if (indicator > baseNumber)
    throw new Error(`delta CRL indicator ${indicator} is above the base CRL number ${baseNumber}`);
}

function integerExtension(crl: Crl, oid: string): bigint | undefined {
  const extension = crl.getExtension(oid);
  if (!extension) return undefined;
  const value = Buffer.from(extension.value);
  const integer = readTlv(value, 0, oid);
  if (integer.tag !== 0x02) throw new Error(`CRL extension ${oid} is not an INTEGER`);
  return BigInt(`0x${value.subarray(integer.contents, integer.end).toString('hex') || '0'}`);
}

function lookUp(certificate: X509Certificate, crls: Crl[], signingTime: Date | undefined): 'ok' | 'revoked' {
  const serial = BigInt(`0x${certificate.serialNumber}`);
  let latestTemporary: { reason: number; date: Date } | undefined;
  for (const crl of crls) {
    for (const entry of crl.entries) {
      if (BigInt(`0x${entry.serialNumber}`) !== serial) continue;
      for (const extension of entry.extensions) {
        const known = extension.type === OID.invalidityDate || extension.type === OID.reasonCode;
        if (extension.critical && !known)
          throw new Error(`CRL entry has unsupported critical extension ${extension.type}`);
      }
      if (signingTime && entry.invalidity && signingTime < entry.invalidity) return 'ok';
      const reason = entry.reason ?? 0;
      if (reason !== REASON_CERTIFICATE_HOLD && reason !== REASON_REMOVE_FROM_CRL) return 'revoked';
      if (!latestTemporary || latestTemporary.date < entry.revocationDate) {
        latestTemporary = { reason, date: entry.revocationDate };
      }
    }
  }
  return latestTemporary?.reason === REASON_CERTIFICATE_HOLD ? 'revoked' : 'ok';
}
