/**
 * Reads the records of a Berkeley DB hash database, the format of rpm's `Packages` file up to RHEL 8,
 * CentOS 8 and Amazon Linux 2. Only what rpm writes is supported: a hash database (no encryption)
 * whose pages hold key/value item pairs, large values living in chains of overflow pages.
 * Layout per Berkeley DB's db_page.h: a 26-byte page header, then 16-bit item offsets.
 */
import { SigilError } from '../core/index.js';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const PAGE_HASH_UNSORTED = 2; // written by Berkeley DB 4.x (RHEL/CentOS 5)
const PAGE_OVERFLOW = 7;
const PAGE_HASH = 13;
const ITEM_KEYDATA = 1;
const ITEM_OFFPAGE = 3;
const OFFPAGE_ITEM_SIZE = 12;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export interface BerkeleyDbRecord {
  /** The key read as an unsigned 32-bit integer in the database's byte order (rpm's header number). */
  key: number;
  value: Buffer;
}

export function readBerkeleyDbHash(file: Buffer, where: string): BerkeleyDbRecord[] {
  const fail = (why: string): never => {
    throw new SigilError('BAD_INPUT', `${where}: malformed Berkeley DB (${why})`);
  };
  if (file.length < 512) fail(`${file.length} bytes, shorter than a metadata page`);
  // The magic number says the byte order the database was written in.
  const little = file.readUInt32LE(12) === HASH_MAGIC;
  if (!little && file.readUInt32BE(12) !== HASH_MAGIC) fail('no hash database magic number');
  const u16 = (at: number): number => (little ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const u32 = (at: number): number => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) fail(`page size ${pageSize}`);
  if (file[24] !== 0) fail('encrypted');
  const lastPage = u32(32);
  if ((lastPage + 1) * pageSize > file.length) {
    fail(`last page ${lastPage} lies beyond the ${file.length}-byte file (truncated?)`);
  }

  /** Concatenates an overflow chain, checking every page and that the total is the recorded length. */
  const overflow = (first: number, length: number, context: string): Buffer => {
    const parts: Buffer[] = [];
    let total = 0;
    for (let page = first, hops = 0; page !== 0; hops++) {
      if (page > lastPage || hops > lastPage) fail(`${context}: overflow chain reaches bad page ${page}`);
      const start = page * pageSize;
      if (file[start + 25] !== PAGE_OVERFLOW) fail(`${context}: page ${page} is not an overflow page`);
      const onPage = u16(start + 22); // an overflow page keeps its data length where others keep their free-space offset
      if (onPage > pageSize - PAGE_HEADER) fail(`${context}: overflow page ${page} claims ${onPage} bytes`);
      parts.push(file.subarray(start + PAGE_HEADER, start + PAGE_HEADER + onPage));
      total += onPage;
      page = u32(start + 16);
    }
    if (total !== length) fail(`${context}: overflow chain holds ${total} bytes, the item says ${length}`);
    return Buffer.concat(parts);
  };

  /** The bytes of item `index` on the page at `start`: inline data runs up to the previous item. */
  const item = (start: number, offsets: number[], index: number, context: string): Buffer => {
    const at = offsets[index] ?? 0;
    const end = index === 0 ? pageSize : (offsets[index - 1] ?? 0);
    if (at < PAGE_HEADER + 2 * offsets.length || at >= end || end > pageSize) {
      fail(`${context}: item offset ${at} out of place`);
    }
    const type = file[start + at];
    if (type === ITEM_KEYDATA) return file.subarray(start + at + 1, start + end);
    if (type === ITEM_OFFPAGE) {
      if (at + OFFPAGE_ITEM_SIZE > end) fail(`${context}: overflow reference cut short`);
      return overflow(u32(start + at + 4), u32(start + at + 8), context);
    }
    return fail(`${context}: unsupported item type ${type}`);
  };

  const records: BerkeleyDbRecord[] = [];
  for (let page = 1; page <= lastPage; page++) {
    const start = page * pageSize;
    const type = file[start + 25];
    if (type !== PAGE_HASH && type !== PAGE_HASH_UNSORTED) continue;
    const count = u16(start + 20);
    if (count % 2 !== 0 || PAGE_HEADER + 2 * count > pageSize) fail(`page ${page}: ${count} items`);
    const offsets = Array.from({ length: count }, (_, i) => u16(start + PAGE_HEADER + 2 * i));
    for (let i = 0; i < count; i += 2) {
      const context = `page ${page} item ${i / 2}`;
      const key = item(start, offsets, i, context);
      if (key.length !== 4) fail(`${context}: key of ${key.length} bytes, not a 4-byte record number`);
      records.push({
        key: little ? key.readUInt32LE(0) : key.readUInt32BE(0),
        value: item(start, offsets, i + 1, context),
      });
    }
  }
  return records;
}
