/**
 * The final file view of an image: layers applied in order with OCI whiteouts, holding only the files
 * catalogers read (by predicate), so memory stays bounded by catalog sizes, not image size.
 */
import { posix } from 'node:path';
import { SigilError } from '../core/index.js';
import type { ContentCollector, FileView } from './model.js';
import { TarStream } from './tar.js';

/** Normalises a layer entry path to "a/b/c" under the root; rejects anything escaping it. */
export function normaliseEntryPath(raw: string, where: string): string {
  const parts = raw
    .replace(/^\.?\/+/, '')
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new SigilError('BAD_INPUT', `${where}: tar entry "${raw}" escapes the image root (contains "..")`);
  }
  return parts.join('/');
}

/** Absolute link targets resolve inside the image root; relative ones must not climb above it. */
function checkLinkTarget(path: string, target: string, where: string): void {
  if (target.startsWith('/')) return;
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    throw new SigilError('BAD_INPUT', `${where}: symlink "${path}" -> "${target}" escapes the image root`);
  }
}

/**
 * A tar reader that applies one layer onto the view as its bytes are written to it: whiteouts and link
 * checks from each header, file content only through the collector `collect` returns for that path.
 */
export function layerReader(
  view: FileView,
  where: string,
  collect: (path: string) => ContentCollector,
): TarStream {
  return new TarStream(where, (entry) => {
    const path = normaliseEntryPath(entry.path, where);
    const base = posix.basename(path);
    const dir = posix.dirname(path);
    if (base === '.wh..wh..opq') {
      const prefix = dir === '.' ? '' : `${dir}/`;
      for (const key of [...view.keys()]) if (key.startsWith(prefix)) view.delete(key);
      return undefined;
    }
    if (base.startsWith('.wh.')) {
      const hidden = posix.join(dir, base.slice(4));
      view.delete(hidden);
      for (const key of [...view.keys()]) if (key.startsWith(`${hidden}/`)) view.delete(key);
      return undefined;
    }
    if (entry.type === 'symlink') checkLinkTarget(path, entry.linkName, where);
    if (entry.type !== 'file') {
      view.delete(path);
      return undefined;
    }
    const collector = collect(path);
    return {
      write: (piece) => collector.write(piece),
      end: () => {
        const kept = collector.result();
        if (kept) view.set(path, kept);
        else view.delete(path);
      },
    };
  });
}

/** Applies one uncompressed layer held in memory onto the view; `keep` sees each file whole. */
export function applyLayer(
  view: FileView,
  tar: Buffer,
  where: string,
  keep: (path: string, content: Buffer) => Buffer | undefined,
): void {
  const reader = layerReader(view, where, (path) => {
    const pieces: Buffer[] = [];
    return { write: (piece) => pieces.push(piece), result: () => keep(path, Buffer.concat(pieces)) };
  });
  reader.write(tar);
  reader.end();
}
