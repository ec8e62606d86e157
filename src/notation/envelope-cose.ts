/**
 * The COSE envelope (`application/cose`): a tagged COSE_Sign1 (RFC 9052, tag 18) whose protected header
 * holds alg (1), crit (2), content type (3) and the Notary attributes, times as CBOR epoch times (tag 1);
 * the unprotected header holds the certificate chain (x5chain, 33, always an array), the signing agent
 * and the timestamp countersignature. The signature is over Sig_structure ["Signature1", protected, h'', payload].
 */
import { CborTagged, type CborValue, decodeCbor, encodeCbor } from '../core/index.js';
import { algorithmByCose } from './algorithms.js';
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
  NOTATION_PAYLOAD,
  SIGNING_AGENT,
  SIGNING_SCHEME,
  SIGNING_SCHEMES,
  SIGNING_TIME,
  type SigningScheme,
  TIMESTAMP_SIGNATURE,
} from './media-types.js';

const COSE_SIGN1_TAG = 18;
const EPOCH_TIME_TAG = 1;
const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_CONTENT_TYPE = 3;
const LABEL_X5CHAIN = 33;
const KNOWN_LABELS: readonly CborValue[] = [
  LABEL_ALG,
  LABEL_CRIT,
  LABEL_CONTENT_TYPE,
  SIGNING_SCHEME,
  SIGNING_TIME,
  AUTHENTIC_SIGNING_TIME,
  EXPIRY,
];

function epochTime(time: Date): CborTagged {
  return new CborTagged(EPOCH_TIME_TAG, Math.floor(wholeSeconds(time).getTime() / 1000));
}

function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Buffer {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

export async function createCoseEnvelope(request: SignRequest): Promise<Buffer> {
  const { signer } = request;
  const crit: CborValue[] = [SIGNING_SCHEME];
  const header = new Map<CborValue, CborValue>([
    [LABEL_ALG, signer.algorithm.cose],
    [LABEL_CONTENT_TYPE, NOTATION_PAYLOAD],
    [SIGNING_SCHEME, request.signingScheme],
  ]);
  if (request.signingScheme === 'notary.x509') header.set(SIGNING_TIME, epochTime(request.signingTime));
  else {
    crit.push(AUTHENTIC_SIGNING_TIME);
    header.set(AUTHENTIC_SIGNING_TIME, epochTime(request.signingTime));
  }
  if (request.expiry) {
    crit.push(EXPIRY);
    header.set(EXPIRY, epochTime(request.expiry));
  }
  header.set(LABEL_CRIT, crit);
  const protectedBytes = encodeCbor(header);
  const signature = await signer.sign(sigStructure(protectedBytes, request.payload));
  const unprotected = new Map<CborValue, CborValue>([
    [LABEL_X5CHAIN, signer.certificateChain.map((der) => new Uint8Array(der))],
    [SIGNING_AGENT, request.signingAgent],
  ]);
  if (request.timestamp) {
    unprotected.set(TIMESTAMP_SIGNATURE, await request.timestamp(signature, signer.algorithm.hash));
  }
  return encodeCbor(
    new CborTagged(COSE_SIGN1_TAG, [protectedBytes, unprotected, request.payload, signature]),
  );
}

function coseTime(value: CborValue, label: string, where: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof CborTagged) || value.tag !== EPOCH_TIME_TAG || typeof value.value !== 'number') {
    throw invalid(where, `${label} is not a CBOR epoch time (tag 1)`);
  }
  return new Date(value.value * 1000);
}

export function parseCoseEnvelope(bytes: Uint8Array, where: string): EnvelopeContent {
  const message = decodeCbor(bytes, `${where} COSE envelope`);
  if (!(message instanceof CborTagged) || message.tag !== COSE_SIGN1_TAG) {
    throw invalid(where, 'not a tagged COSE_Sign1 message');
  }
  const parts = message.value;
  if (!Array.isArray(parts) || parts.length !== 4)
    throw invalid(where, 'COSE_Sign1 is not a 4-element array');
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (!(protectedBytes instanceof Uint8Array) || protectedBytes.length === 0) {
    throw invalid(where, 'protected header is missing');
  }
  if (!(unprotected instanceof Map)) throw invalid(where, 'unprotected header is not a map');
  if (!(payload instanceof Uint8Array)) throw invalid(where, 'payload is detached or not a byte string');
  if (!(signature instanceof Uint8Array) || signature.length === 0)
    throw invalid(where, 'signature is empty');
  const header = decodeCbor(protectedBytes, `${where} COSE protected header`);
  if (!(header instanceof Map)) throw invalid(where, 'protected header is not a map');
  const algorithm = algorithmByCose(header.get(LABEL_ALG));
  if (!algorithm)
    throw invalid(where, `signature algorithm ${String(header.get(LABEL_ALG))} is not supported`);
  const contentType = header.get(LABEL_CONTENT_TYPE);
  if (typeof contentType !== 'string') throw invalid(where, 'protected header has no content type');
  const scheme = header.get(SIGNING_SCHEME);
  if (!SIGNING_SCHEMES.includes(scheme as SigningScheme)) {
    throw invalid(where, `unsupported signing scheme ${JSON.stringify(scheme)}`);
  }
  const signingScheme = scheme as SigningScheme;
  const timeLabel = signingScheme === 'notary.x509' ? SIGNING_TIME : AUTHENTIC_SIGNING_TIME;
  const otherLabel = signingScheme === 'notary.x509' ? AUTHENTIC_SIGNING_TIME : SIGNING_TIME;
  if (header.has(otherLabel))
    throw invalid(where, `"${otherLabel}" must not be present for ${signingScheme}`);
  const signingTime = coseTime(header.get(timeLabel), timeLabel, where);
  if (!signingTime) throw invalid(where, 'signing time not present');
  const expiry = coseTime(header.get(EXPIRY), EXPIRY, where);
  checkTimes(signingTime, expiry, where);
  const crit = header.get(LABEL_CRIT);
  if (!Array.isArray(crit) || crit.length === 0) throw invalid(where, 'missing crit header');
  const required = new Set<CborValue>([SIGNING_SCHEME]);
  if (expiry) required.add(EXPIRY);
  if (signingScheme === 'notary.x509.signingAuthority') required.add(AUTHENTIC_SIGNING_TIME);
  const extendedAttributes: ExtendedAttribute[] = [...header.entries()]
    .filter(([key]) => !KNOWN_LABELS.includes(key))
    .filter(
      (entry): entry is [string | number, CborValue] =>
        typeof entry[0] === 'string' || typeof entry[0] === 'number',
    )
    .map(([key, value]) => ({ key, value, critical: crit.includes(key) }));
  for (const label of crit) {
    if (required.delete(label)) continue;
    if (!header.has(label))
      throw invalid(where, `${JSON.stringify(label)} is marked critical but not present`);
  }
  if (required.size > 0) throw invalid(where, `headers not marked critical: ${[...required].join(', ')}`);
  const chain = unprotected.get(LABEL_X5CHAIN);
  if (!Array.isArray(chain) || chain.length === 0)
    throw invalid(where, 'certificate chain (x5chain) not present');
  const certificateChain = chain.map((der, i) => {
    if (!(der instanceof Uint8Array)) throw invalid(where, `x5chain[${i}] is not a byte string`);
    return parseCertificate(der, `${where} x5chain[${i}]`);
  });
  const agent = unprotected.get(SIGNING_AGENT);
  const timestamp = unprotected.get(TIMESTAMP_SIGNATURE);
  if (timestamp !== undefined && !(timestamp instanceof Uint8Array)) {
    throw invalid(where, `${TIMESTAMP_SIGNATURE} is not a byte string`);
  }
  return {
    format: 'cose',
    payload: Buffer.from(payload),
    payloadContentType: contentType,
    signingScheme,
    signingTime,
    ...(expiry ? { expiry } : {}),
    algorithm,
    certificateChain,
    signature: Buffer.from(signature),
    signedBytes: sigStructure(protectedBytes, payload),
    ...(typeof agent === 'string' ? { signingAgent: agent } : {}),
    ...(timestamp instanceof Uint8Array && timestamp.length > 0
      ? { timestampSignature: Buffer.from(timestamp) }
      : {}),
    extendedAttributes,
  };
}
