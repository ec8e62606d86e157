/**
 * Certificate transparency (RFC 6962): the CA's CT log signs a Signed Certificate Timestamp over the
 * precertificate (issuer key hash + TBS without the SCT extension), and the SCT list goes into the final
 * certificate, so a verifier can require proof that the certificate was submitted to a log it trusts.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { derLength } from './der.js';

const SCT_VERSION_V1 = 0;
const SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP = 0;
const ENTRY_TYPE_PRECERT = 1;
const HASH_SHA256 = 4;
const SIGNATURE_ECDSA = 3;

export interface CtLogSigner {
  key: KeyObject;
  /** SHA-256 of the log's DER public key, as RFC 6962 defines the log ID. */
  logId: Buffer;
}

export function ctLogSigner(privateKey: KeyObject, publicKey: KeyObject): CtLogSigner {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { key: privateKey, logId: createHash('sha256').update(spki).digest() };
}

/** One serialized SCT (RFC 6962 3.2) for the precertificate TBS issued under `issuerPublicKey`. */
export function signPrecertificate(
  log: CtLogSigner,
  issuerPublicKey: KeyObject,
  precertTbs: Buffer,
  timestampMs: number,
): Buffer {
  const issuerKeyHash = createHash('sha256')
    .update(issuerPublicKey.export({ type: 'spki', format: 'der' }))
    .digest();
  const timestamp = uint64(timestampMs);
  const signed = Buffer.concat([
    Buffer.from([SCT_VERSION_V1, SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP]),
    timestamp,
    uint(ENTRY_TYPE_PRECERT, 2),
    issuerKeyHash,
    uint(precertTbs.length, 3),
    precertTbs,
    uint(0, 2), // no CT extensions
  ]);
  const signature = sign('sha256', signed, log.key);
  return Buffer.concat([
    Buffer.from([SCT_VERSION_V1]),
    log.logId,
    timestamp,
    uint(0, 2),
    Buffer.from([HASH_SHA256, SIGNATURE_ECDSA]),
    uint(signature.length, 2),
    signature,
  ]);
}

/** The value of the SCT list extension: a DER OCTET STRING around the TLS-encoded list. */
export function sctListExtension(scts: Buffer[]): Buffer {
  const items = scts.map((sct) => Buffer.concat([uint(sct.length, 2), sct]));
  const list = Buffer.concat(items);
  const tls = Buffer.concat([uint(list.length, 2), list]);
  return Buffer.concat([Buffer.from([0x04]), derLength(tls.length), tls]);
}

function uint(value: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

function uint64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}
