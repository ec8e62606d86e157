import { SigilError } from './errors.js';

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Strict base64 decoding: Node's decoder silently skips invalid characters, which would let a corrupted
 * signature decode to different bytes instead of failing. `what` names the field in the error.
 */
export function fromBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new SigilError('BAD_INPUT', `${what} is not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}
