/**
 * A small tar reader for image layers: ustar, GNU long names ('L') and pax extended headers ('x', 'g')
 * for long paths. Returns every entry with its resolved path; content is a view into the layer buffer.
 */
import { SigilError } from '../core/index.js';

const BLOCK = 512;

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  linkName: string;
  content: Buffer;
}

function cString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octalNumber(block: Buffer, offset: number, length: number, where: string): number {
  const text = cString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw new SigilError('BAD_INPUT', `${where}: tar header has a bad number field "${text}"`);
  return Number.parseInt(text, 8);
}

/** Pax records are "<len> key=value\n"; only path and linkpath matter for a file view. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(data.subarray(offset, space).toString('ascii'), 10);
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}

function entryType(flag: string): TarEntryType {
  if (flag === '0' || flag === '\0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'dir';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

/** Reads all entries of an uncompressed tar; `where` names the layer in errors. */
export function readTar(tar: Buffer, where: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const stored = octalNumber(header, 148, 8, where);
    const sum = header.reduce((acc, byte, i) => acc + (i >= 148 && i < 156 ? 0x20 : byte), 0);
    if (stored !== sum)
      throw new SigilError('BAD_INPUT', `${where}: tar header checksum mismatch at offset ${offset}`);
    const size = octalNumber(header, 124, 12, where);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length)
      throw new SigilError('BAD_INPUT', `${where}: tar entry at offset ${offset} is truncated`);
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    const flag = String.fromCharCode(header[156] ?? 0);
    if (flag === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (flag === 'K') {
      longLink = cString(data, 0, data.length);
      continue;
    }
    if (flag === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (flag === 'g') continue;
    const prefix = cString(header, 257, 6).startsWith('ustar') ? cString(header, 345, 155) : '';
    const shortName = cString(header, 0, 100);
    const path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
    const linkName = pax.get('linkpath') ?? longLink ?? cString(header, 157, 100);
    entries.push({ path, type: entryType(flag), linkName, content: data });
    longName = undefined;
    longLink = undefined;
    pax = new Map();
  }
  return entries;
}
