/**
 * OCSP (RFC 6960) as notation-core-go's revocation/ocsp does it: one CertID request (SHA-1 hashes, which
 * every public CA answers; no nonce, so the request fits a GET), each URL of the AIA extension in turn,
 * and a response that counts only when it is signed by the issuing CA or by a responder the CA delegated
 * with id-kp-OCSPSigning, names the certificate asked about, and is fresh: thisUpdate not in the future
 * and nextUpdate present and not passed (a response without nextUpdate is "expired" to notation too).
 * Anything else makes that server's answer `unknown`; only a definitive good/revoked/unknown status from
 * a valid response stops trying the next URL.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import {
  callService,
  children,
  derOctetString,
  derOid,
  derSequence,
  expectTag,
  messageOf,
  oidText,
  readTlv,
  type Tlv,
  tlv,
  tlvBytes,
} from '../core/index.js';
import { publicKeyBits, serialContent, subjectDer } from './revocation-certificate.js';
import { readHttpBody, type ServerResult } from './revocation-result.js';
import { SIGNATURE_HASHES } from './signature-algorithms.js';

const OID = {
  basicResponse: '1.3.6.1.5.5.7.48.1.1',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  invalidityDate: '2.5.29.24',
  sha1: '1.3.14.3.2.26',
} as const;

const CERT_ID_HASHES: Record<string, string> = {
  [OID.sha1]: 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const RESPONSE_STATUS = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  '4',
  'sigRequired',
  'unauthorized',
];

/** The default of the Notary Project specification: 2 seconds per OCSP URL. */
export const OCSP_TIMEOUT_MS = 2000;
// notation-core-go's limit; real responses are about 4 KB.
const MAX_RESPONSE_BYTES = 20 * 1024;
// Clock skew tolerated on thisUpdate (OpenSSL's OCSP_check_validity default leeway).
const THIS_UPDATE_LEEWAY_MS = 5 * 60_000;

export interface OcspCheckOptions {
  /** When the signature was made, if authentic: a revocation whose invalidity date is after it does not count. */
  signingTime?: Date;
  now: Date;
  timeoutMs: number;
}

/** Asks each OCSP URL of `certificate` in turn until one gives a valid answer. */
export async function checkOcsp(
  certificate: X509Certificate,
  issuer: X509Certificate,
  urls: readonly string[],
  options: OcspCheckOptions,
): Promise<ServerResult[]> {
  const results: ServerResult[] = [];
  for (const url of urls) {
    const result = await checkOcspServer(certificate, issuer, url, options);
    // A definitive status from a valid response decides alone, whatever other servers said.
    if (result.status !== 'unknown' || result.definitive) return [result];
    results.push(result);
  }
  return results;
}

async function checkOcspServer(
  certificate: X509Certificate,
  issuer: X509Certificate,
  url: string,
  options: OcspCheckOptions,
): Promise<ServerResult & { definitive?: boolean }> {
  const unknown = (error: string) => ({
    method: 'ocsp' as const,
    server: url,
    status: 'unknown' as const,
    error,
  });
  if (!/^http:\/\//i.test(url)) return unknown(`OCSP URL ${url}: only http URLs are supported`);
  let der: Buffer;
  try {
    der = await fetchResponse(url, encodeOcspRequest(certificate, issuer), options.timeoutMs);
  } catch (err) {
    return unknown(messageOf(err));
  }
  let single: SingleResponse;
  try {
    single = verifyOcspResponse(der, certificate, issuer, options.now);
  } catch (err) {
    return unknown(`OCSP response from ${url}: ${messageOf(err)}`);
  }
  const base = { method: 'ocsp' as const, server: url };
  if (single.status === 'good') return { ...base, status: 'ok' };
  if (single.status === 'unknown') {
    return {
      ...base,
      status: 'unknown',
      definitive: true,
      error: `OCSP responder ${url} does not know the certificate`,
    };
  }
  // RFC 5280 5.3.2: the key was good until the invalidity date, so a signature made before it stands.
  if (options.signingTime && single.invalidityDate && options.signingTime < single.invalidityDate) {
    return { ...base, status: 'ok' };
  }
  return { ...base, status: 'revoked', error: `certificate is revoked (OCSP ${url})` };
}

/** GET with the base64 request in the path when it fits (cacheable), else POST, as notation does. */
async function fetchResponse(url: string, request: Buffer, timeoutMs: number): Promise<Buffer> {
  const common = { timeoutMs, context: 'OCSP', unreachableHint: 'is the OCSP responder running?' };
  const encoded = encodeURIComponent(request.toString('base64'));
  const response =
    encoded.length < 255
      ? await callService('GET', `${url.replace(/\/$/, '')}/${encoded}`, {
          ...common,
          headers: { Accept: 'application/ocsp-response' },
        })
      : await callService('POST', url, {
          ...common,
          binary: {
            body: request,
            contentType: 'application/ocsp-request',
            accept: 'application/ocsp-response',
          },
        });
  return readHttpBody(response, MAX_RESPONSE_BYTES, `OCSP response from ${url}`);
}

/** OCSPRequest { TBSRequest { requestList { Request { CertID } } } }, unsigned and without extensions. */
export function encodeOcspRequest(certificate: X509Certificate, issuer: X509Certificate): Buffer {
  const certId = derSequence(
    derSequence(derOid(OID.sha1), Buffer.from([0x05, 0x00])),
    derOctetString(createHash('sha1').update(subjectDer(issuer)).digest()),
    derOctetString(createHash('sha1').update(publicKeyBits(issuer)).digest()),
    tlv(0x02, serialContent(certificate)),
  );
  return derSequence(derSequence(derSequence(derSequence(certId))));
}

interface SingleResponse {
  status: 'good' | 'revoked' | 'unknown';
  invalidityDate?: Date;
}

/**
 * Checks an OCSPResponse for `certificate` and returns its status; throws (one line) when the response
 * is refused, malformed, not signed by the issuer or its delegate, about another certificate, or stale.
 */
export function verifyOcspResponse(
  der: Buffer,
  certificate: X509Certificate,
  issuer: X509Certificate,
  now: Date,
): SingleResponse {
  const top = sequence(der, readTlv(der, 0, 'OCSPResponse'), 'OCSPResponse');
  const [statusTlv, bytesTlv] = top;
  if (statusTlv?.tag !== 0x0a) throw new Error('malformed OCSPResponse (no responseStatus)');
  const status = der[statusTlv.contents] ?? -1;
  if (status !== 0) throw new Error(`responder answered ${RESPONSE_STATUS[status] ?? status}`);
  if (bytesTlv?.tag !== 0xa0) throw new Error('successful response carries no responseBytes');
  const [typeTlv, octets] = sequence(der, only(der, bytesTlv, 'responseBytes'), 'ResponseBytes');
  if (!typeTlv || !octets || !tlvBytes(der, typeTlv).equals(derOid(OID.basicResponse))) {
    throw new Error('response type is not id-pkix-ocsp-basic');
  }
  const basic = der.subarray(octets.contents, octets.end);
  const [tbsTlv, algorithmTlv, signatureTlv, certsTlv] = sequence(
    basic,
    readTlv(basic, 0, 'BasicOCSPResponse'),
    'BasicOCSPResponse',
  );
  if (!tbsTlv || !algorithmTlv || !signatureTlv || signatureTlv.tag !== 0x03) {
    throw new Error('malformed BasicOCSPResponse');
  }
  const embedded = certsTlv?.tag === 0xa0 ? embeddedCertificates(basic, certsTlv) : [];
  const data = responseData(basic, tbsTlv);
  const signer = responseSigner(data.responderId, issuer, embedded, now);
  const signatureAlgorithm = oidOf(basic, sequence(basic, algorithmTlv, 'signatureAlgorithm')[0]);
  const hash = SIGNATURE_HASHES[signatureAlgorithm];
  if (hash === undefined || hash === 'digest')
    throw new Error(`signature algorithm ${signatureAlgorithm} is not supported`);
  const signature = basic.subarray(signatureTlv.contents + 1, signatureTlv.end);
  if (!verify(hash, tlvBytes(basic, tbsTlv), signer.publicKey, signature)) {
    throw new Error('signature does not verify with the responder certificate');
  }
  const single = data.responses.find((response) => sameCertId(basic, response.certId, certificate, issuer));
  if (!single) throw new Error('response does not cover the certificate asked about');
  if (single.thisUpdate.getTime() > now.getTime() + THIS_UPDATE_LEEWAY_MS) {
    throw new Error(`thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  }
  if (!single.nextUpdate) throw new Error('response has no nextUpdate, so its freshness cannot be judged');
  if (now > single.nextUpdate)
    throw new Error(`expired OCSP response (nextUpdate ${single.nextUpdate.toISOString()})`);
  return {
    status: single.status,
    ...(single.invalidityDate ? { invalidityDate: single.invalidityDate } : {}),
  };
}

interface ParsedSingle extends SingleResponse {
  certId: Tlv;
  thisUpdate: Date;
  nextUpdate?: Date;
}

interface ResponseData {
  /** [1] byName (a Name) or [2] byKey (OCTET STRING of the SHA-1 of the key bits). */
  responderId: { byName?: Buffer; byKey?: Buffer };
  responses: ParsedSingle[];
}

function responseData(der: Buffer, tbs: Tlv): ResponseData {
  const fields = sequence(der, tbs, 'ResponseData');
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields; // [0] EXPLICIT version, v1 by default
  const [idTlv, , responsesTlv] = rest;
  if (!idTlv || !responsesTlv) throw new Error('malformed ResponseData');
  const inner = only(der, idTlv, 'ResponderID');
  const responderId =
    idTlv.tag === 0xa1
      ? { byName: tlvBytes(der, inner) }
      : idTlv.tag === 0xa2
        ? { byKey: der.subarray(inner.contents, inner.end) }
        : {};
  const responses = sequence(der, responsesTlv, 'responses').map((single) => singleResponse(der, single));
  return { responderId, responses };
}

function singleResponse(der: Buffer, single: Tlv): ParsedSingle {
  const [certId, statusTlv, thisUpdateTlv, ...optional] = sequence(der, single, 'SingleResponse');
  if (!certId || !statusTlv || !thisUpdateTlv) throw new Error('malformed SingleResponse');
  const tag = statusTlv.tag & 0x1f;
  const status = tag === 0 ? 'good' : tag === 1 ? 'revoked' : 'unknown';
  const nextUpdateTlv = optional.find((field) => field.tag === 0xa0);
  const extensionsTlv = optional.find((field) => field.tag === 0xa1);
  const invalidityDate = extensionsTlv ? invalidityDateOf(der, extensionsTlv) : undefined;
  return {
    certId,
    status,
    thisUpdate: generalizedTime(der, thisUpdateTlv),
    ...(nextUpdateTlv ? { nextUpdate: generalizedTime(der, only(der, nextUpdateTlv, 'nextUpdate')) } : {}),
    ...(invalidityDate ? { invalidityDate } : {}),
  };
}

function invalidityDateOf(der: Buffer, extensionsTlv: Tlv): Date | undefined {
  for (const extension of sequence(der, only(der, extensionsTlv, 'singleExtensions'), 'Extensions')) {
    const fields = sequence(der, extension, 'Extension');
    if (fields[0] && oidOf(der, fields[0]) === OID.invalidityDate) {
      const value = fields[fields.length - 1];
      if (!value) return undefined;
      return generalizedTime(der, readTlv(der, value.contents, 'invalidityDate'));
    }
  }
  return undefined;
}

/**
 * The certificate whose key signed the response: the issuer itself, or an embedded certificate the
 * ResponderID names that the issuer signed for OCSP signing (RFC 6960 4.2.2.2) and that is valid now.
 */
function responseSigner(
  responderId: ResponseData['responderId'],
  issuer: X509Certificate,
  embedded: X509Certificate[],
  now: Date,
): X509Certificate {
  const named = (candidate: X509Certificate): boolean =>
    responderId.byName
      ? subjectDer(candidate).equals(responderId.byName)
      : responderId.byKey
        ? createHash('sha1').update(publicKeyBits(candidate)).digest().equals(responderId.byKey)
        : false;
  if (named(issuer)) return issuer;
  const delegate = embedded.find(named);
  if (!delegate) throw new Error('not signed by the issuing CA nor by a responder certificate it carries');
  if (!delegate.checkIssued(issuer) || !delegate.verify(issuer.publicKey)) {
    throw new Error(
      `responder certificate ${delegate.subject.replace(/\n/g, ',')} is not issued by the certificate's issuer`,
    );
  }
  if (!(delegate.keyUsage ?? []).includes(OID.ocspSigning)) {
    throw new Error('responder certificate lacks the id-kp-OCSPSigning extended key usage');
  }
  if (now < new Date(delegate.validFrom) || now > new Date(delegate.validTo)) {
    throw new Error('responder certificate is not valid now');
  }
  return delegate;
}

function sameCertId(
  der: Buffer,
  certId: Tlv,
  certificate: X509Certificate,
  issuer: X509Certificate,
): boolean {
  const [algorithmTlv, nameHash, keyHash, serial] = sequence(der, certId, 'CertID');
  if (!algorithmTlv || !nameHash || !keyHash || !serial) return false;
  const hash = CERT_ID_HASHES[oidOf(der, sequence(der, algorithmTlv, 'hashAlgorithm')[0])];
  if (!hash) return false;
  return (
    der.subarray(serial.contents, serial.end).equals(serialContent(certificate)) &&
    der
      .subarray(nameHash.contents, nameHash.end)
      .equals(createHash(hash).update(subjectDer(issuer)).digest()) &&
    der
      .subarray(keyHash.contents, keyHash.end)
      .equals(createHash(hash).update(publicKeyBits(issuer)).digest())
  );
}

function embeddedCertificates(der: Buffer, certsTlv: Tlv): X509Certificate[] {
  return sequence(der, only(der, certsTlv, 'certs'), 'certs').map(
    (cert) => new X509Certificate(tlvBytes(der, cert)),
  );
}

function sequence(der: Buffer, parent: Tlv, where: string): Tlv[] {
  expectTag(parent, 0x30, where);
  return children(der, parent, where);
}

/** The one element inside an EXPLICIT tag. */
function only(der: Buffer, parent: Tlv, where: string): Tlv {
  const [inner] = children(der, parent, where);
  if (!inner) throw new Error(`empty ${where}`);
  return inner;
}

function generalizedTime(der: Buffer, time: Tlv): Date {
  const text = der.subarray(time.contents, time.end).toString('latin1');
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(text);
  if (time.tag !== 0x18 || !match) throw new Error(`malformed GeneralizedTime ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
}

function oidOf(der: Buffer, oid: Tlv | undefined): string {
  if (oid?.tag !== 0x06) throw new Error('expected an OBJECT IDENTIFIER');
  return oidText(der.subarray(oid.contents, oid.end));
}
