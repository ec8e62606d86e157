/**
 * The final file view of an image: layers applied in order with OCI whiteouts, holding only the files
 * catalogers read (by predicate), so memory stays bounded by catalog sizes, not image size.
 */
import { posix } from 'node:path';
import { SigilError } from '../core/index.js';
import { readTar } from './tar.js';

export type FileView = Map<string, Buffer>;

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

/** Applies one uncompressed layer onto the view. */
export function applyLayer(
  view: FileView,
  tar: Buffer,
  where: string,
  keep: (path: string, content: Buffer) => Buffer | undefined,
): void {
  for (const entry of readTar(tar, where)) {
    const path = normaliseEntryPath(entry.path, where);
    const base = posix.basename(path);
    const dir = posix.dirname(path);
    if (base === '.wh..wh..opq') {
      const prefix = dir === '.' ? '' : `${dir}/`;
      for (const key of [...view.keys()]) if (key.startsWith(prefix)) view.delete(key);
      continue;
    }
    if (base.startsWith('.wh.')) {
      const hidden = posix.join(dir, base.slice(4));
      view.delete(hidden);
      for (const key of [...view.keys()]) if (key.startsWith(`${hidden}/`)) view.delete(key);
      continue;
    }
    if (entry.type === 'symlink') checkLinkTarget(path, entry.linkName, where);
    const kept = entry.type === 'file' ? keep(path, entry.content) : undefined;
    if (kept) view.set(path, kept);
    else view.delete(path);
  }
}
