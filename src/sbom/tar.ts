/**
 * A small tar reader for image layers: ustar, GNU long names ('L') and pax extended headers ('x', 'g')
 * for long paths. It reads incrementally, so a layer streams through without being held in memory.
 */
import { SigilError } from '../core/index.js';

const BLOCK = 512;

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

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

/** What a tar header says about an entry, with pax / GNU long names already applied. */
export interface TarHeader {
  path: string;
  type: TarEntryType;
  linkName: string;
  size: number;
}

export interface TarEntry extends TarHeader {
  content: Buffer;
}

/** Receives one entry's content piece by piece (pieces are views into the caller's chunk), then its end. */
export interface TarContentSink {
  write(piece: Buffer): void;
  end(): void;
}

/** Long names and pax records are held whole; a bigger one is not a real header but an attack. */
const MAX_META_SIZE = 1024 * 1024;

/** Collects a metadata entry's (long name, pax) bytes, then hands them over whole. */
function metaSink(size: number, where: string, offset: number, done: (data: Buffer) => void): TarContentSink {
  if (size > MAX_META_SIZE)
    throw new SigilError('BAD_INPUT', `${where}: tar metadata entry at offset ${offset} is ${size} bytes`);
  const pieces: Buffer[] = [];
  return { write: (piece) => pieces.push(Buffer.from(piece)), end: () => done(Buffer.concat(pieces)) };
}

/**
 * An incremental tar reader: feed it chunks of any size as they arrive (from a gunzip stream), and it
 * calls `onEntry` per entry, streaming the content to the sink that returns (or skipping it on undefined).
 * Only one header block and the current long name / pax record are ever held.
 */
export class TarStream {
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Offset of the next header in the tar, for error messages. */
  private offset = 0;
  private entryOffset = 0;
  private state: 'header' | 'content' | 'padding' | 'ended' = 'header';
  private remaining = 0;
  private padding = 0;
  private sink: TarContentSink | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax = new Map<string, string>();

  constructor(
    private readonly where: string,
    private readonly onEntry: (header: TarHeader) => TarContentSink | undefined,
  ) {}

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'ended') {
      if (this.state === 'header') {
        const copied = chunk.copy(this.header, this.headerFill, at, at + BLOCK - this.headerFill);
        this.headerFill += copied;
        at += copied;
        if (this.headerFill === BLOCK) this.startEntry();
      } else if (this.state === 'content') {
        const take = Math.min(this.remaining, chunk.length - at);
        this.sink?.write(chunk.subarray(at, at + take));
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.finishContent();
      } else {
        const take = Math.min(this.padding, chunk.length - at);
        this.padding -= take;
        at += take;
        if (this.padding === 0) this.state = 'header';
      }
    }
  }

  /** The input is complete: an entry cut short (or a partial header) is an error. */
  end(): void {
    if (this.state === 'content' || (this.state === 'header' && this.headerFill > 0)) {
      const at = this.state === 'content' ? this.entryOffset : this.offset;
      throw new SigilError('BAD_INPUT', `${this.where}: tar entry at offset ${at} is truncated`);
    }
  }

  private startEntry(): void {
    const { header, where } = this;
    this.headerFill = 0;
    if (header.every((byte) => byte === 0)) {
      this.state = 'ended';
      return;
    }
    const stored = octalNumber(header, 148, 8, where);
    const sum = header.reduce((acc, byte, i) => acc + (i >= 148 && i < 156 ? 0x20 : byte), 0);
    if (stored !== sum)
      throw new SigilError('BAD_INPUT', `${where}: tar header checksum mismatch at offset ${this.offset}`);
    const size = octalNumber(header, 124, 12, where);
    this.entryOffset = this.offset;
    const blocks = Math.ceil(size / BLOCK) * BLOCK;
    this.offset += BLOCK + blocks;
    this.remaining = size;
    this.padding = blocks - size;
    this.sink = this.sinkFor(String.fromCharCode(header[156] ?? 0), size);
    this.state = 'content';
    if (size === 0) this.finishContent();
  }

  private sinkFor(flag: string, size: number): TarContentSink | undefined {
    const meta = (done: (data: Buffer) => void) => metaSink(size, this.where, this.entryOffset, done);
    if (flag === 'L')
      return meta((data) => {
        this.longName = cString(data, 0, data.length);
      });
    if (flag === 'K')
      return meta((data) => {
        this.longLink = cString(data, 0, data.length);
      });
    if (flag === 'x')
      return meta((data) => {
        this.pax = paxRecords(data);
      });
    if (flag === 'g') return undefined;
    const { header } = this;
    const prefix = cString(header, 257, 6).startsWith('ustar') ? cString(header, 345, 155) : '';
    const shortName = cString(header, 0, 100);
    const path = this.pax.get('path') ?? this.longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
    const linkName = this.pax.get('linkpath') ?? this.longLink ?? cString(header, 157, 100);
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = new Map();
    return this.onEntry({ path, type: entryType(flag), linkName, size });
  }

  private finishContent(): void {
    this.sink?.end();
    this.sink = undefined;
    this.state = this.padding > 0 ? 'padding' : 'header';
  }
}

/** Reads all entries of an uncompressed tar held in memory; `where` names the layer in errors. */
export function readTar(tar: Buffer, where: string): TarEntry[] {
  const entries: TarEntry[] = [];
  const reader = new TarStream(where, (header) => {
    const pieces: Buffer[] = [];
    return {
      write: (piece) => pieces.push(piece),
      end: () => entries.push({ ...header, content: Buffer.concat(pieces) }),
    };
  });
  reader.write(tar);
  reader.end();
  return entries;
}
