/**
 * Client side of the TSA: ask for a timestamp over a signature (the bytes a Sigstore bundle's
 * rfc3161Timestamps vouch for), fetch the TSA's chain, and read a TimeStampResp. Reading is not
 * verifying: the token's signature and chain are checked by the verifier against a trusted root.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  callService,
  integerValue,
  loadAsn1Cms,
  loadAsn1Schema,
  loadAsn1Tsp,
  messageOf,
  SigilError,
} from '../core/index.js';
import { type HashName, hashByOid, OID } from './oids.js';
import { encodeTimestampRequest } from './request.js';

export interface TimestampClientOptions {
  timeoutMs?: number;
  /** Digest of the signature sent as the message imprint (default sha256, as @sigstore/sign). */
  hash?: HashName;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const HINT = 'is the timestamp authority running at the given URL?';

/**
 * The TSA's timestamp endpoint. A bare host URL gets sigstore's path appended; a URL with a path is
 * used as is (a signing_config.json names the full endpoint), as @sigstore/sign does.
 */
export function timestampEndpoint(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname === '/' ? `${url.replace(/\/$/, '')}/api/v1/timestamp` : url;
}

/**
 * A DER TimeStampResp over `signature`: the request carries its digest, a fresh nonce and certReq, and
 * the answer must be granted and echo both the imprint and the nonce (else it answers another request).
 */
export async function requestTimestamp(
  url: string,
  signature: Uint8Array,
  options: TimestampClientOptions = {},
): Promise<Uint8Array> {
  const hash = options.hash ?? 'sha256';
  const digest = createHash(hash).update(signature).digest();
  const nonce = BigInt(`0x${randomBytes(8).toString('hex')}`);
  const endpoint = timestampEndpoint(url);
  const response = await callService('POST', endpoint, {
    binary: {
      body: encodeTimestampRequest({ hash, digest, nonce, certReq: true }),
      contentType: 'application/timestamp-query',
      accept: 'application/timestamp-reply',
    },
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    unreachableHint: HINT,
  });
  const der = new Uint8Array(await response.arrayBuffer());
  const token = parseTimestampToken(der);
  if (token.hashAlgorithm !== hash || !token.hashedMessage.equals(digest)) {
    throw new SigilError(
      'SERVICE_ERROR',
      `POST ${endpoint}: timestamp is over other data than the signature sent`,
    );
  }
  if (token.nonce !== nonce) {
    throw new SigilError('SERVICE_ERROR', `POST ${endpoint}: timestamp does not carry the nonce sent`);
  }
  return der;
}

/** The TSA's certificate chain as PEM, leaf first. */
export async function fetchTimestampCertChain(
  url: string,
  options: TimestampClientOptions = {},
): Promise<string> {
  const endpoint = `${timestampEndpoint(url)}/certchain`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return (await callService('GET', endpoint, { timeoutMs, unreachableHint: HINT })).text();
}

export interface TimestampInfo {
  /** PKIStatus: 0 granted or 1 grantedWithMods (anything else throws). */
  status: number;
  genTime: Date;
  policy: string;
  /** Hex of the TSTInfo serial number. */
  serialNumber: string;
  nonce?: bigint;
  /** `sha256`/`sha384`/`sha512`, or the OID of another hash. */
  hashAlgorithm: string;
  hashedMessage: Buffer;
  /** DER certificates the token carries (the TSA leaf when certReq was set). */
  certificates: Buffer[];
  /** The TSTInfo's accuracy in milliseconds, when it states one. */
  accuracyMs?: number;
}

/** Reads a DER TimeStampResp; throws SERVICE_ERROR when the TSA refused, BAD_INPUT when malformed. */
export function parseTimestampToken(der: Uint8Array): TimestampInfo {
  const { PKIStatus, TimeStampResp, TSTInfo } = loadAsn1Tsp();
  const response = parse(der, TimeStampResp, 'TimeStampResp');
  const { status, statusString, failInfo } = response.status;
  if (status !== PKIStatus.granted && status !== PKIStatus.grantedWithMods) {
    const details = [...(statusString ?? []), ...(failInfo ? [`failure: ${failInfo.toString()}`] : [])];
    throw new SigilError(
      'SERVICE_ERROR',
      `timestamp authority refused the request (status ${PKIStatus[status] ?? status}${details.length ? `: ${details.join('; ')}` : ''})`,
    );
  }
  const token = response.timeStampToken;
  if (!token) throw new SigilError('BAD_INPUT', 'timestamp response is granted but carries no token');
  if (token.contentType !== OID.signedData) {
    throw new SigilError('BAD_INPUT', `timestamp token content type is ${token.contentType}, not SignedData`);
  }
  const signedData = parse(token.content, loadAsn1Cms().SignedData, 'timestamp token SignedData');
  const { eContentType, eContent } = signedData.encapContentInfo;
  if (eContentType !== OID.tstInfo || !eContent?.single) {
    throw new SigilError('BAD_INPUT', 'timestamp token does not encapsulate a TSTInfo');
  }
  const info = parse(eContent.single.buffer, TSTInfo, 'TSTInfo');
  const nonce = info.nonce ? integerValue(new Uint8Array(info.nonce)) : null;
  const certificates = [...(signedData.certificates ?? [])].flatMap((choice) =>
    choice.certificate ? [Buffer.from(loadAsn1Schema().AsnConvert.serialize(choice.certificate))] : [],
  );
  return {
    status,
    genTime: info.genTime,
    policy: info.policy,
    serialNumber: Buffer.from(info.serialNumber).toString('hex'),
    ...(nonce === null ? {} : { nonce }),
    hashAlgorithm:
      hashByOid(info.messageImprint.hashAlgorithm.algorithm) ?? info.messageImprint.hashAlgorithm.algorithm,
    hashedMessage: Buffer.from(info.messageImprint.hashedMessage.buffer),
    certificates,
    ...(info.accuracy
      ? {
          accuracyMs:
            (info.accuracy.seconds ?? 0) * 1000 +
            (info.accuracy.millis ?? 0) +
            (info.accuracy.micros ?? 0) / 1000,
        }
      : {}),
  };
}

function parse<T>(der: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return loadAsn1Schema().AsnConvert.parse(der, type);
  } catch (err) {
    throw new SigilError('BAD_INPUT', `malformed ${what} (${messageOf(err)})`);
  }
}
