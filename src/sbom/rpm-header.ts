/**
 * The RPM header blob as the package database stores it (rpm's "header export" form, without the
 * 8-byte magic a .rpm file has): il and dl as big-endian int32, il index entries of 16 bytes
 * (tag, type, offset, count) and a data store of dl bytes that the offsets point into.
 */
import { SigilError } from '../core/index.js';

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

const ENTRY_SIZE = 16;
/** rpm's own limits for an imported header (HEADER_TAGS_MAX, HEADER_DATA_MAX), so a bad count cannot make us allocate or loop without bound. */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 0x0fffffff;

export type RpmTagValue = string | number;

/**
 * Reads the string and int32 tags of a header; other types are skipped, as no cataloger needs them.
 * `where` names the database and entry in errors. I18N strings and string arrays give their first
 * element (the untranslated text).
 */
export function parseRpmHeader(blob: Buffer, where: string): Map<number, RpmTagValue> {
  const fail = (why: string): never => {
    throw new SigilError('BAD_INPUT', `${where}: malformed RPM header (${why})`);
  };
  if (blob.length < 8) fail(`${blob.length} bytes, shorter than the 8-byte preamble`);
  const entries = blob.readInt32BE(0);
  const dataLength = blob.readInt32BE(4);
  if (entries < 1 || entries > MAX_ENTRIES) fail(`index entry count ${entries} out of range`);
  if (dataLength < 0 || dataLength > MAX_DATA) fail(`data length ${dataLength} out of range`);
  const dataStart = 8 + entries * ENTRY_SIZE;
  if (blob.length !== dataStart + dataLength) {
    fail(
      `${blob.length} bytes, but ${entries} entries and ${dataLength} data bytes need ${dataStart + dataLength}`,
    );
  }
  const data = blob.subarray(dataStart);
  const tags = new Map<number, RpmTagValue>();
  for (let i = 0; i < entries; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset < 0 || offset >= dataLength)
      fail(`tag ${tag} points at offset ${offset} outside the ${dataLength}-byte data store`);
    if (type === TYPE_INT32) {
      if (count < 1 || offset + 4 * count > dataLength)
        fail(`tag ${tag}: ${count} int32 values overrun the data store`);
      tags.set(tag, data.readInt32BE(offset));
    } else if (type === TYPE_STRING || type === TYPE_I18NSTRING || type === TYPE_STRING_ARRAY) {
      const end = data.indexOf(0, offset);
      if (end === -1) fail(`tag ${tag}: string at offset ${offset} has no terminating NUL`);
      tags.set(tag, data.toString('utf8', offset, end));
    }
  }
  return tags;
}
