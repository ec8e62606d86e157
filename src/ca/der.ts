/**
 * The few DER primitives the certificate profile needs that asn1-x509 does not model: Fulcio's custom
 * extensions carry either raw strings (the deprecated `.1`-`.6`) or a DER UTF8String (`.8` onwards).
 */
export function derUtf8String(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([0x0c]), derLength(bytes.length), bytes]);
}

/** DER definite length: short form below 128, long form (length of the length first) above. */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
