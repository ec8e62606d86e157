/**
 * A small DER writer (X.690) for structures whose shape is fixed: certificates the CA issues, the
 * timestamp token's signed attributes, the extensions Fulcio defines. Writing bytes directly costs a
 * fraction of building typed ASN.1 objects and serializing them, which matters on the CA's hot path.
 */

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18,
} as const;

/** DER definite length: short form below 128, long form (length of the length first) above. */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = contents.length === 1 ? (contents[0] as Uint8Array) : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

export function derSequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG.sequence, ...items);
}

export function derOctetString(bytes: Uint8Array): Buffer {
  return tlv(TAG.octetString, bytes);
}

export function derBoolean(value: boolean): Buffer {
  return Buffer.from([TAG.boolean, 1, value ? 0xff : 0]);
}

/** An INTEGER from its content octets (as @peculiar/asn1-schema holds them: big-endian two's complement). */
export function derInteger(content: Uint8Array): Buffer {
  return tlv(TAG.integer, content);
}

/** A BIT STRING of whole bytes (a signature, a public key). */
export function derBitString(bytes: Uint8Array): Buffer {
  return tlv(TAG.bitString, Buffer.from([0]), bytes);
}

/**
 * A BIT STRING of named bits (X.690 11.2.2: trailing zero bits are dropped in DER), bit 0 being the
 * most significant bit of the first byte, as KeyUsage numbers them.
 */
export function derNamedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return Buffer.from([TAG.bitString, 1, 0]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return tlv(TAG.bitString, Buffer.from([7 - (highest & 7)]), bytes);
}

export function derUtf8String(value: string): Buffer {
  return tlv(TAG.utf8String, Buffer.from(value, 'utf8'));
}

/** A context-specific constructed tag, e.g. `[4]` for GeneralName.directoryName (EXPLICIT, as Name is a CHOICE). */
export function derContext(number: number, ...contents: Uint8Array[]): Buffer {
  return tlv(0xa0 | number, ...contents);
}

/** A context-specific primitive tag (IMPLICIT over a primitive type), e.g. `[1]` for rfc822Name. */
export function derContextPrimitive(number: number, contents: Uint8Array): Buffer {
  return tlv(0x80 | number, contents);
}

// The same few OIDs are written for every certificate; their encodings are kept.
const oidCache = new Map<string, Buffer>();

export function derOid(oid: string): Buffer {
  let encoded = oidCache.get(oid);
  if (!encoded) {
    const arcs = oid.split('.').map((arc) => BigInt(arc));
    const [first = 0n, second = 0n, ...rest] = arcs;
    const bytes: number[] = [];
    for (const arc of [first * 40n + second, ...rest]) {
      const chunk: number[] = [Number(arc & 0x7fn)];
      for (let value = arc >> 7n; value > 0n; value >>= 7n) chunk.unshift(Number(value & 0x7fn) | 0x80);
      bytes.push(...chunk);
    }
    encoded = tlv(TAG.oid, Buffer.from(bytes));
    if (oidCache.size < 256) oidCache.set(oid, encoded);
  }
  return encoded;
}

/**
 * RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in whole seconds with `Z`
 * (fractions of a second are dropped, as certificates carry none).
 */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950) throw new RangeError('dates before 1950 are not used here');
  return year < 2050
    ? tlv(TAG.utcTime, Buffer.from(digits.slice(2), 'latin1'))
    : tlv(TAG.generalizedTime, Buffer.from(digits, 'latin1'));
}

/** DER SET OF order: encodings compared as octet strings, the shorter padded with zero octets. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function derSetOf(elements: Uint8Array[]): Buffer {
  return tlv(TAG.set, ...[...elements].sort(compareDer));
}

/**
 * The content octets of an INTEGER holding `value`: minimal big-endian two's complement, as DER requires
 * (a leading 0x00 only when the top bit would otherwise read as a sign).
 */
export function integerContent(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('negative integers are not used here');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** The value of a non-negative INTEGER from its content octets (null for a negative one). */
export function integerValue(content: Uint8Array): bigint | null {
  if (content.length === 0 || (content[0] ?? 0) & 0x80) return null;
  return BigInt(`0x${Buffer.from(content).toString('hex')}`);
}
