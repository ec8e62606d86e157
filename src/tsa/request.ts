/**
 * TimeStampReq (RFC 3161 2.4.1) in and out: parsing and checking what a client sent, in either of the
 * two forms sigstore's timestamp-authority accepts (DER `application/timestamp-query`, or its JSON
 * shorthand that @sigstore/sign posts), and building a request for our own client.
 */
import type { MessageImprint, TimeStampReq } from '@peculiar/asn1-tsp';
import {
  fromBase64,
  integerContent,
  isRecord,
  loadAsn1Schema,
  loadAsn1Tsp,
  loadAsn1X509,
  messageOf,
  SigilError,
} from '../core/index.js';
import { HASHES, type HashName, hashByOid, isHashName } from './oids.js';

/** A checked request: what the token must echo (imprint, nonce) and what it asked for. */
export interface TimestampRequest {
  hash: HashName;
  /** Copied into the TSTInfo unchanged (RFC 3161: "MUST have the same value"). */
  messageImprint: MessageImprint;
  /** INTEGER content octets, echoed byte for byte. */
  nonce?: ArrayBuffer;
  certReq: boolean;
  policy?: string;
}

/** A nonce longer than this is no nonce but a way to make the TSA sign attacker-chosen bulk. */
const MAX_NONCE_BYTES = 64;
const OID_TEXT = /^[0-2](\.(0|[1-9][0-9]*)){1,30}$/;

export function parseTimestampRequest(der: Uint8Array): TimestampRequest {
  const { AsnConvert } = loadAsn1Schema();
  let parsed: TimeStampReq;
  try {
    parsed = AsnConvert.parse(der, loadAsn1Tsp().TimeStampReq);
  } catch (err) {
    throw new SigilError('BAD_INPUT', `timestamp request is not a DER TimeStampReq (${messageOf(err)})`);
  }
  // Re-encoding catches trailing bytes and BER leniencies the parser lets through.
  if (!Buffer.from(AsnConvert.serialize(parsed)).equals(Buffer.from(der))) {
    throw new SigilError(
      'BAD_INPUT',
      'timestamp request is not DER-encoded (trailing or non-canonical bytes)',
    );
  }
  if (parsed.version !== 1) {
    throw new SigilError(
      'BAD_INPUT',
      `timestamp request version ${parsed.version} is not supported (expected 1)`,
    );
  }
  const { hashAlgorithm, hashedMessage } = parsed.messageImprint;
  const hash = hashByOid(hashAlgorithm.algorithm);
  if (!hash) {
    throw new SigilError(
      'BAD_INPUT',
      `timestamp request hash algorithm ${hashAlgorithm.algorithm} is not supported`,
      'use SHA-256, SHA-384 or SHA-512',
    );
  }
  // SHA-2 identifiers carry absent or NULL parameters (RFC 5754 2); anything else is not this hash.
  if (hashAlgorithm.parameters instanceof ArrayBuffer) {
    throw new SigilError('BAD_INPUT', 'timestamp request hash algorithm has unexpected parameters');
  }
  if (hashedMessage.byteLength !== HASHES[hash].length) {
    throw new SigilError(
      'BAD_INPUT',
      `timestamp request message imprint is ${hashedMessage.byteLength} bytes, a ${hash} digest is ${HASHES[hash].length}`,
    );
  }
  if (parsed.nonce && parsed.nonce.byteLength > MAX_NONCE_BYTES) {
    throw new SigilError('BAD_INPUT', `timestamp request nonce is longer than ${MAX_NONCE_BYTES} bytes`);
  }
  // sigstore's TSA refuses request extensions unless configured otherwise; we have nothing to honour.
  if (parsed.extensions && parsed.extensions.length > 0) {
    throw new SigilError('BAD_INPUT', 'timestamp request extensions are not supported');
  }
  return {
    hash,
    messageImprint: parsed.messageImprint,
    ...(parsed.nonce ? { nonce: parsed.nonce } : {}),
    certReq: parsed.certReq,
    ...(parsed.reqPolicy ? { policy: parsed.reqPolicy } : {}),
  };
}

export interface TimestampRequestFields {
  hash: HashName;
  digest: Uint8Array;
  nonce?: bigint;
  certReq?: boolean;
  policy?: string;
}

export function encodeTimestampRequest(fields: TimestampRequestFields): Buffer {
  const { AsnConvert, OctetString } = loadAsn1Schema();
  const { MessageImprint, TimeStampReq } = loadAsn1Tsp();
  const { AlgorithmIdentifier } = loadAsn1X509();
  const request = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASHES[fields.hash].oid }),
      hashedMessage: new OctetString(fields.digest),
    }),
    certReq: fields.certReq ?? false,
    ...(fields.nonce === undefined ? {} : { nonce: arrayBufferOf(integerContent(fields.nonce)) }),
    ...(fields.policy === undefined ? {} : { reqPolicy: fields.policy }),
  });
  return Buffer.from(AsnConvert.serialize(request));
}

/**
 * sigstore's JSON request, `{"artifactHash": base64 digest, "hashAlgorithm": "sha256", "nonce"?,
 * "certificates"?, "tsaPolicyOID"?}`, as the equivalent DER TimeStampReq. Unknown fields are ignored,
 * as Go's decoder there ignores them.
 */
export function timestampRequestFromJson(body: unknown): Buffer {
  if (!isRecord(body)) throw new SigilError('BAD_INPUT', 'timestamp request JSON must be an object');
  const { artifactHash, hashAlgorithm, nonce, certificates, tsaPolicyOID } = body;
  if (typeof artifactHash !== 'string' || artifactHash === '') {
    throw new SigilError('BAD_INPUT', 'timestamp request JSON: "artifactHash" must be a base64 digest');
  }
  const hash = typeof hashAlgorithm === 'string' ? hashAlgorithm.toLowerCase() : '';
  if (!isHashName(hash)) {
    throw new SigilError(
      'BAD_INPUT',
      `timestamp request JSON: "hashAlgorithm" ${JSON.stringify(hashAlgorithm)} is not supported`,
      'use sha256, sha384 or sha512',
    );
  }
  if (certificates !== undefined && typeof certificates !== 'boolean') {
    throw new SigilError('BAD_INPUT', 'timestamp request JSON: "certificates" must be a boolean');
  }
  if (tsaPolicyOID !== undefined && (typeof tsaPolicyOID !== 'string' || !OID_TEXT.test(tsaPolicyOID))) {
    throw new SigilError('BAD_INPUT', 'timestamp request JSON: "tsaPolicyOID" must be a dotted OID');
  }
  return encodeTimestampRequest({
    hash,
    digest: fromBase64(artifactHash, 'timestamp request JSON "artifactHash"'),
    certReq: certificates ?? false,
    ...(nonce === undefined || nonce === null ? {} : { nonce: jsonNonce(nonce) }),
    ...(tsaPolicyOID ? { policy: tsaPolicyOID } : {}),
  });
}

/**
 * A JSON nonce as an exact integer. JSON numbers past 2^53 have already lost digits in JSON.parse, and
 * echoing a rounded nonce would fail the client's check, so those must come as decimal strings.
 */
function jsonNonce(value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^[0-9]{1,150}$/.test(value)) return BigInt(value);
  throw new SigilError(
    'BAD_INPUT',
    'timestamp request JSON: "nonce" must be a non-negative integer below 2^53 or a decimal string',
  );
}

export function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.from(bytes).buffer;
}
