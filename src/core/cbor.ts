/**
 * The subset of CBOR (RFC 8949) that COSE_Sign1 envelopes use: integers, byte and text strings, arrays,
 * maps (kept as a Map, in the order found, with integer or text keys), tags, booleans, null and floats.
 * Definite lengths only (COSE requires them for what is signed); anything else is refused with the offset
 * where it was found, so a malformed envelope is reported, never half-read.
 */
import { SigilError } from './errors.js';

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborValue[]
  | Map<CborValue, CborValue>
  | CborTagged;

export class CborTagged {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

// --- encoding ---

function head(major: number, value: number | bigint): Buffer {
  const n = BigInt(value);
  const m = major << 5;
  if (n < 24n) return Buffer.from([m | Number(n)]);
  if (n < 0x100n) return Buffer.from([m | 24, Number(n)]);
  if (n < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = m | 25;
    b.writeUInt16BE(Number(n), 1);
    return b;
  }
  if (n < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = m | 26;
    b.writeUInt32BE(Number(n), 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = m | 27;
  b.writeBigUInt64BE(n, 1);
  return b;
}

/** The CBOR encoding of `value`; map entries keep their insertion order (the caller orders them). */
export function encodeCbor(value: CborValue): Buffer {
  const parts: Buffer[] = [];
  const write = (v: CborValue): void => {
    if (v === null) parts.push(Buffer.from([0xf6]));
    else if (v === undefined) parts.push(Buffer.from([0xf7]));
    else if (v === true) parts.push(Buffer.from([0xf5]));
    else if (v === false) parts.push(Buffer.from([0xf4]));
    else if (typeof v === 'number' || typeof v === 'bigint') {
      if (typeof v === 'number' && !Number.isSafeInteger(v)) {
        const b = Buffer.alloc(9);
        b[0] = 0xfb;
        b.writeDoubleBE(v, 1);
        parts.push(b);
      } else {
        const n = BigInt(v);
        parts.push(n >= 0n ? head(0, n) : head(1, -1n - n));
      }
    } else if (typeof v === 'string') {
      const bytes = Buffer.from(v, 'utf8');
      parts.push(head(3, bytes.length), bytes);
    } else if (v instanceof Uint8Array) {
      parts.push(head(2, v.length), Buffer.from(v));
    } else if (Array.isArray(v)) {
      parts.push(head(4, v.length));
      for (const item of v) write(item);
    } else if (v instanceof Map) {
      parts.push(head(5, v.size));
      for (const [key, item] of v) {
        write(key);
        write(item);
      }
    } else {
      parts.push(head(6, v.tag));
      write(v.value);
    }
  };
  write(value);
  return Buffer.concat(parts);
}

// --- decoding ---

const MAX_DEPTH = 32;

/** Decodes one CBOR item that must fill `bytes` exactly. */
export function decodeCbor(bytes: Uint8Array, where: string): CborValue {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const fail = (what: string): never => {
    throw new SigilError('BAD_INPUT', `${where}: malformed CBOR at byte ${offset}: ${what}`);
  };
  const need = (n: number): void => {
    if (offset + n > data.length) fail('truncated');
  };
  const readArgument = (info: number): bigint => {
    if (info < 24) return BigInt(info);
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) fail(info === 31 ? 'indefinite lengths are not supported' : `reserved value ${info}`);
    need(size);
    let n = 0n;
    for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(data[offset + i] as number);
    offset += size;
    return n;
  };
  const length = (n: bigint): number => {
    if (n > BigInt(data.length - offset)) fail('length runs past the end');
    return Number(n);
  };
  const integer = (n: bigint): number | bigint => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
  const read = (depth: number): CborValue => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    need(1);
    const initial = data[offset++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      if (info === 23) return undefined;
      if (info === 25) {
        need(2);
        const half = data.readUInt16BE(offset);
        offset += 2;
        return halfToNumber(half);
      }
      if (info === 26) {
        need(4);
        offset += 4;
        return data.readFloatBE(offset - 4);
      }
      if (info === 27) {
        need(8);
        offset += 8;
        return data.readDoubleBE(offset - 8);
      }
      return fail(`unsupported simple value ${info}`);
    }
    const argument = readArgument(info);
    switch (major) {
      case 0:
        return integer(argument);
      case 1: {
        const n = -1n - argument;
        return n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
      }
      case 2: {
        const n = length(argument);
        offset += n;
        return new Uint8Array(data.subarray(offset - n, offset));
      }
      case 3: {
        const n = length(argument);
        offset += n;
        const text = data.subarray(offset - n, offset);
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(text);
        } catch {
          return fail('text string is not UTF-8');
        }
      }
      case 4: {
        const n = length(argument);
        const items: CborValue[] = [];
        for (let i = 0; i < n; i++) items.push(read(depth + 1));
        return items;
      }
      case 5: {
        const n = length(argument);
        const map = new Map<CborValue, CborValue>();
        for (let i = 0; i < n; i++) {
          const key = read(depth + 1);
          if (map.has(key)) fail(`duplicate map key ${String(key)}`);
          map.set(key, read(depth + 1));
        }
        return map;
      }
      default:
        return new CborTagged(Number(argument), read(depth + 1));
    }
  };
  const value = read(0);
  if (offset !== data.length) fail(`${data.length - offset} bytes after the item`);
  return value;
}

function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
