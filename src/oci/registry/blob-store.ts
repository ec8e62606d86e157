/**
 * Global content-addressed storage: every blob (layers, configs, manifests) lives once at
 * `blobs/<algorithm>/<hex>`, whichever repositories link it. A blob file only ever appears whole and
 * verified, by rename.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Digest } from '../../core/index.js';
import { fileSize, writeAtomic } from './fs.js';

export class BlobStore {
  constructor(private readonly root: string) {}

  size(digest: Digest): Promise<number | undefined> {
    return fileSize(this.path(digest));
  }

  read(digest: Digest): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /** A stream of the blob's bytes from `start` to `end` inclusive (the whole blob without a range). */
  stream(digest: Digest, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.path(digest), range);
  }

  /** Stores bytes already known to hash to `digest`. */
  async put(digest: Digest, bytes: Uint8Array): Promise<void> {
    if ((await this.size(digest)) === undefined) await writeAtomic(this.path(digest), bytes);
  }

  /**
   * Moves a complete, fsynced file already known to hash to `digest` into place; the file is consumed
   * either way. It must be on the same filesystem (uploads live under the same data directory).
   */
  async adopt(file: string, digest: Digest): Promise<void> {
    if ((await this.size(digest)) !== undefined) {
      await rm(file, { force: true });
      return;
    }
    await mkdir(dirname(this.path(digest)), { recursive: true });
    await rename(file, this.path(digest));
  }

  private path(digest: Digest): string {
    const [algorithm, hex] = digest.split(':') as [string, string];
    return join(this.root, 'blobs', algorithm, hex);
  }
}
