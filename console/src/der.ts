/**
 * A minimal DER reader (X.690) for what the console decodes itself: certificates (names, validity, SANs,
 * the Sigstore extensions), SubjectPublicKeyInfo algorithms and ECDSA signatures. It reads, never trusts:
 * a length past the end throws.
 */

export interface Der {
  tag: number;
  /** The content octets. */
  value: Uint8Array;
  /** The whole TLV. */
  raw: Uint8Array;
}

export function readDer(bytes: Uint8Array, offset = 0): Der {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('DER: truncated');
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] ?? 0);
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new Error('DER: length past the end');
  return { tag, value: bytes.subarray(offset + header, end), raw: bytes.subarray(offset, end) };
}

/** The elements of a constructed value (SEQUENCE, SET, explicit tags). */
export function children(node: Der): Der[] {
  const out: Der[] = [];
  for (let at = 0; at < node.value.length; ) {
    const child = readDer(node.value, at);
    out.push(child);
    at += child.raw.length;
  }
  return out;
}

export function oidText(value: Uint8Array): string {
  const first = value[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let n = 0;
  for (const b of value.subarray(1)) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

export function derTime(node: Der): Date {
  const text = new TextDecoder().decode(node.value);
  // UTCTime YYMMDDHHMMSSZ (years 1950-2049) or GeneralizedTime YYYYMMDDHHMMSSZ.
  const full = node.tag === 0x17 ? `${Number(text.slice(0, 2)) >= 50 ? '19' : '20'}${text}` : text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new Error(`DER: unsupported time ${text}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** An ECDSA signature from DER (SEQUENCE of two INTEGERs) to the r‖s form WebCrypto verifies. */
export function ecdsaDerToRaw(signature: Uint8Array, size: number): Uint8Array {
  const [r, s] = children(readDer(signature));
  if (!r || !s) throw new Error('ECDSA signature is not two integers');
  const out = new Uint8Array(size * 2);
  const place = (int: Uint8Array, at: number) => {
    const trimmed = int.subarray(Math.max(0, int.length - size));
    out.set(trimmed, at + size - trimmed.length);
  };
  place(r.value, 0);
  place(s.value, size);
  return out;
}
