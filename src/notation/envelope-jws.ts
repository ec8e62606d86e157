/**
 * The JWS envelope (`application/jose+json`), JSON serialization: the protected header carries `alg`,
 * `cty`, `crit` and the Notary attributes (signing scheme, signing time, expiry); the unprotected header
 * the certificate chain (`x5c`), the signing agent and the timestamp countersignature.
 */
import { isRecord, parseJson } from '../core/index.js';
import { algorithmByJws } from './algorithms.js';
import { parseCertificate } from './certificate.js';
import {
  checkTimes,
  type EnvelopeContent,
  type ExtendedAttribute,
  invalid,
  type SignRequest,
  wholeSeconds,
} from './envelope-content.js';
import {
  AUTHENTIC_SIGNING_TIME,
  EXPIRY,
  SIGNING_AGENT,
  SIGNING_SCHEME,
  SIGNING_SCHEMES,
  SIGNING_TIME,
  type SigningScheme,
  TIMESTAMP_SIGNATURE,
} from './media-types.js';

const KNOWN_HEADERS = ['alg', 'cty', 'crit', SIGNING_SCHEME, SIGNING_TIME, AUTHENTIC_SIGNING_TIME, EXPIRY];

/** RFC 3339 with seconds, in UTC, as notation writes it. */
function rfc3339(time: Date): string {
  return wholeSeconds(time).toISOString().replace('.000Z', 'Z');
}

export async function createJwsEnvelope(request: SignRequest): Promise<Buffer> {
  const { signer } = request;
  const crit = [SIGNING_SCHEME];
  const header: Record<string, unknown> = {
    alg: signer.algorithm.jws,
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    [SIGNING_SCHEME]: request.signingScheme,
  };
  if (request.signingScheme === 'notary.x509') header[SIGNING_TIME] = rfc3339(request.signingTime);
  else {
    crit.push(AUTHENTIC_SIGNING_TIME);
    header[AUTHENTIC_SIGNING_TIME] = rfc3339(request.signingTime);
  }
  if (request.expiry) {
    crit.push(EXPIRY);
    header[EXPIRY] = rfc3339(request.expiry);
  }
  header.crit = crit;
  const protectedPart = Buffer.from(JSON.stringify(header)).toString('base64url');
  const payloadPart = request.payload.toString('base64url');
  const signature = await signer.sign(Buffer.from(`${protectedPart}.${payloadPart}`, 'ascii'));
  const unprotected: Record<string, unknown> = {};
  if (request.timestamp) {
    unprotected[TIMESTAMP_SIGNATURE] = (await request.timestamp(signature, signer.algorithm.hash)).toString(
      'base64',
    );
  }
  unprotected.x5c = signer.certificateChain.map((der) => der.toString('base64'));
  unprotected[SIGNING_AGENT] = request.signingAgent;
  return Buffer.from(
    JSON.stringify({
      payload: payloadPart,
      protected: protectedPart,
      header: unprotected,
      signature: signature.toString('base64url'),
    }),
  );
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function base64url(value: unknown, field: string, where: string): Buffer {
  if (typeof value !== 'string' || !BASE64URL.test(value)) throw invalid(where, `${field} is not base64url`);
  return Buffer.from(value, 'base64url');
}

function time(value: unknown, field: string, where: string): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !RFC3339.test(value))
    throw invalid(where, `${field} is not an RFC 3339 time`);
  return new Date(value);
}

export function parseJwsEnvelope(bytes: Uint8Array, where: string): EnvelopeContent {
  const envelope = parseJson(bytes, `${where} JWS envelope`);
  if (!isRecord(envelope)) throw invalid(where, 'JWS envelope is not a JSON object');
  const protectedPart = envelope.protected;
  const payloadPart = envelope.payload;
  const protectedBytes = base64url(protectedPart, 'protected header', where);
  const payload = base64url(payloadPart, 'payload', where);
  const signature = base64url(envelope.signature, 'signature', where);
  if (signature.length === 0) throw invalid(where, 'signature is empty');
  const header = parseJson(protectedBytes, `${where} JWS protected header`);
  if (!isRecord(header)) throw invalid(where, 'protected header is not a JSON object');
  const algorithm = algorithmByJws(header.alg);
  if (!algorithm) throw invalid(where, `signature algorithm ${JSON.stringify(header.alg)} is not supported`);
  if (typeof header.cty !== 'string') throw invalid(where, 'protected header has no "cty"');
  const scheme = header[SIGNING_SCHEME];
  if (!SIGNING_SCHEMES.includes(scheme as SigningScheme)) {
    throw invalid(where, `unsupported signing scheme ${JSON.stringify(scheme)}`);
  }
  const signingScheme = scheme as SigningScheme;
  const signingTime = time(header[SIGNING_TIME], SIGNING_TIME, where);
  const authenticSigningTime = time(header[AUTHENTIC_SIGNING_TIME], AUTHENTIC_SIGNING_TIME, where);
  const expiry = time(header[EXPIRY], EXPIRY, where);
  const crit = header.crit;
  if (!Array.isArray(crit) || crit.length === 0 || !crit.every((c) => typeof c === 'string')) {
    throw invalid(where, 'missing "crit" header');
  }
  const required = new Set([SIGNING_SCHEME]);
  if (expiry) required.add(EXPIRY);
  let when: Date | undefined;
  if (signingScheme === 'notary.x509') {
    if (authenticSigningTime)
      throw invalid(where, `"${AUTHENTIC_SIGNING_TIME}" must not be present for notary.x509`);
    when = signingTime;
  } else {
    if (signingTime)
      throw invalid(where, `"${SIGNING_TIME}" must not be present for notary.x509.signingAuthority`);
    required.add(AUTHENTIC_SIGNING_TIME);
    when = authenticSigningTime;
  }
  const extendedAttributes: ExtendedAttribute[] = Object.entries(header)
    .filter(([key]) => !KNOWN_HEADERS.includes(key))
    .map(([key, value]) => ({ key, value, critical: crit.includes(key) }));
  for (const name of crit as string[]) {
    if (required.delete(name)) continue;
    if (!extendedAttributes.some((a) => a.key === name)) {
      throw invalid(where, `${JSON.stringify(name)} header is marked critical but not present`);
    }
  }
  if (required.size > 0) throw invalid(where, `headers not marked critical: ${[...required].join(', ')}`);
  if (!when) throw invalid(where, 'signing time not present');
  checkTimes(when, expiry, where);
  const unprotected = isRecord(envelope.header) ? envelope.header : {};
  const x5c = unprotected.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0)
    throw invalid(where, 'certificate chain (x5c) not present or empty');
  const certificateChain = x5c.map((entry, i) => {
    if (typeof entry !== 'string' || !BASE64.test(entry)) throw invalid(where, `x5c[${i}] is not base64`);
    return parseCertificate(Buffer.from(entry, 'base64'), `${where} x5c[${i}]`);
  });
  const agent = unprotected[SIGNING_AGENT];
  const timestamp = unprotected[TIMESTAMP_SIGNATURE];
  if (timestamp !== undefined && (typeof timestamp !== 'string' || !BASE64.test(timestamp))) {
    throw invalid(where, `${TIMESTAMP_SIGNATURE} is not base64`);
  }
  return {
    format: 'jws',
    payload,
    payloadContentType: header.cty,
    signingScheme,
    signingTime: when,
    ...(expiry ? { expiry } : {}),
    algorithm,
    certificateChain,
    signature,
    signedBytes: Buffer.from(`${protectedPart}.${payloadPart}`, 'ascii'),
    ...(typeof agent === 'string' ? { signingAgent: agent } : {}),
    ...(typeof timestamp === 'string' && timestamp !== ''
      ? { timestampSignature: Buffer.from(timestamp, 'base64') }
      : {}),
    extendedAttributes,
  };
}
