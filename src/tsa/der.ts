/**
 * The few DER encodings the token needs that the @peculiar/asn1-* classes do not model: the ESS
 * SigningCertificateV2 attribute (RFC 5035), a bare OBJECT IDENTIFIER attribute value, and the sorted
 * SET OF that CMS signs for signed attributes (X.690 11.6: a DER SET OF is ordered by its encodings).
 */

const TAG = { integer: 0x02, octetString: 0x04, oid: 0x06, sequence: 0x30, set: 0x31 } as const;

/** DER definite length: short form below 128, long form (length of the length first) above. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

export function derSequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG.sequence, ...items);
}

export function derOctetString(bytes: Uint8Array): Buffer {
  return tlv(TAG.octetString, bytes);
}

/** An INTEGER from its content octets (as @peculiar/asn1-schema holds them: big-endian two's complement). */
export function derInteger(content: Uint8Array): Buffer {
  return tlv(TAG.integer, content);
}

/** A context-specific constructed tag, e.g. `[4]` for GeneralName.directoryName (EXPLICIT, as Name is a CHOICE). */
export function derContext(number: number, ...contents: Uint8Array[]): Buffer {
  return tlv(0xa0 | number, ...contents);
}

export function derOid(oid: string): Buffer {
  const arcs = oid.split('.').map((arc) => BigInt(arc));
  const [first = 0n, second = 0n, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let value = arc >> 7n; value > 0n; value >>= 7n) chunk.unshift(Number(value & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
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
