import { createHash } from 'node:crypto';
import { SigilError } from './errors.js';

/** An OCI content digest `algorithm:hex`; only sha256 and sha512 are accepted, as distribution does. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): value is Digest {
  return DIGEST.test(value);
}

export function parseDigest(value: string, where = 'digest'): Digest {
  if (!isDigest(value)) {
    throw new SigilError('BAD_INPUT', `${where}: "${value}" is not a valid sha256/sha512 digest`);
  }
  return value;
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${sha256(data).toString('hex')}`;
}

export function digestOf(data: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** Throws DIGEST_MISMATCH unless `data` hashes to `expected` (with the algorithm `expected` names). */
export function assertDigest(data: Uint8Array, expected: Digest, what: string): void {
  const algorithm = expected.startsWith('sha512:') ? 'sha512' : 'sha256';
  const actual = digestOf(data, algorithm);
  if (actual !== expected) {
    throw new SigilError('DIGEST_MISMATCH', `${what}: content digest is ${actual}, expected ${expected}`);
  }
}
