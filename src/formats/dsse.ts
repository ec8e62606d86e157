/** DSSE envelopes (secure-systems-lab/dsse v1): the JSON form and the pre-authentication encoding signed. */
import { fromBase64, isRecord, parseJson, SigilError } from '../core/index.js';

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid?: string; sig: Buffer }[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

export function parseDsseEnvelope(text: string | Uint8Array, where: string): DsseEnvelope {
  const json = parseJson(text, where);
  const bad = (what: string): never => {
    throw new SigilError('BAD_INPUT', `${where}: DSSE envelope ${what}`);
  };
  if (!isRecord(json)) return bad('is not a JSON object');
  if (typeof json.payloadType !== 'string' || json.payloadType === '') return bad('has no payloadType');
  if (typeof json.payload !== 'string') return bad('has no payload');
  if (!Array.isArray(json.signatures) || json.signatures.length === 0) return bad('has no signatures');
  const signatures = json.signatures.map((s, i) => {
    if (!isRecord(s) || typeof s.sig !== 'string' || s.sig === '') return bad(`signature ${i} has no sig`);
    if (s.keyid !== undefined && typeof s.keyid !== 'string')
      return bad(`signature ${i} has a non-string keyid`);
    return { ...(s.keyid ? { keyid: s.keyid } : {}), sig: fromBase64(s.sig, `${where}: signature ${i}`) };
  });
  return {
    payloadType: json.payloadType,
    payload: fromBase64(json.payload, `${where}: payload`),
    signatures,
  };
}

/** The envelope as JSON, as cosign writes it (Go's dsse library: `keyid` always present, "" when unset). */
export function dsseEnvelopeJson(envelope: DsseEnvelope): string {
  return JSON.stringify({
    payloadType: envelope.payloadType,
    payload: envelope.payload.toString('base64'),
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig.toString('base64') })),
  });
}
