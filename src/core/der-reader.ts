/**
 * Reading DER by its bytes: the few elements the CA, its CT log and revocation checks pick out (a TBS's
 * fields, an extension) without parsing the whole structure, so that every other byte stays as written.
 */
import { SigilError } from './errors.js';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the contents. */
  contents: number;
  end: number;
}

export function children(der: Buffer, parent: Tlv, where: string): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.contents; offset < parent.end; ) {
    const child = readTlv(der, offset, where);
    if (child.end > parent.end)
      throw new SigilError('BAD_CERTIFICATE', `${where}: element overruns its parent`);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** One DER element: single-byte tags (all X.509 needs here) and definite lengths only. */
export function readTlv(der: Buffer, start: number, where: string): Tlv {
  const fail = (reason: string): never => {
    throw new SigilError('BAD_CERTIFICATE', `${where}: ${reason} at byte ${start}`);
  };
  if (start + 2 > der.length) fail('truncated DER');
  const tag = der[start] as number;
  if ((tag & 0x1f) === 0x1f) fail('multi-byte tags are not supported');
  let length = der[start + 1] as number;
  let contents = start + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) fail('invalid DER length');
    if (contents + count > der.length) fail('truncated DER length');
    length = der.readUIntBE(contents, count);
    contents += count;
  }
  const end = contents + length;
  if (end > der.length) fail('truncated DER element');
  return { tag, start, contents, end };
}

export function expectTag(tlv: Tlv, tag: number, where: string): void {
  if (tlv.tag !== tag) {
    throw new SigilError(
      'BAD_CERTIFICATE',
      `${where}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`,
    );
  }
}

export function tlvBytes(der: Buffer, tlv: Tlv): Buffer {
  return der.subarray(tlv.start, tlv.end);
}

/** The dotted text of an OBJECT IDENTIFIER's content octets. */
export function oidText(contents: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of contents) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const [first = 0n, ...rest] = arcs;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...rest].join('.');
}
