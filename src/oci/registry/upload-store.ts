/**
 * Blob upload sessions: `uploads/<id>/data` grows chunk by chunk, streamed to disk so a large layer never
 * sits in memory, and `uploads/<id>/repository` records whose session it is. Nothing here is visible to
 * pulls; a session becomes a blob only when its bytes hash to the digest the client names.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../core/index.js';
import { RegistryHttpError } from './errors.js';
import { fileSize, readText, writeAtomic } from './fs.js';

export class UploadStore {
  /** The operation in flight per session: chunks of one session are written one after another. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly root: string) {}

  async start(repository: string): Promise<string> {
    const id = randomUUID();
    await mkdir(this.dir(id), { recursive: true });
    await writeAtomic(this.dataPath(id), '');
    // Written last: a session without its owner file is unknown, so a crash midway leaves no session.
    await writeAtomic(join(this.dir(id), 'repository'), repository);
    return id;
  }

  /** Bytes received so far, or undefined when `id` is not a session of `repository`. */
  async size(repository: string, id: string): Promise<number | undefined> {
    if ((await readText(join(this.dir(id), 'repository'))) !== repository) return undefined;
    return fileSize(this.dataPath(id));
  }

  /**
   * Appends a chunk. With `expectedStart`, the chunk must begin where the session ends (else 416); with
   * `expectedLength`, it must have that many bytes. A chunk that fails midway is cut off again, so the
   * session always ends at a chunk boundary. Returns the new size.
   */
  append(id: string, chunk: Readable, expected: { start?: number; length?: number } = {}): Promise<number> {
    return this.serialize(id, async () => {
      const path = this.dataPath(id);
      const before = await fileSize(path);
      if (before === undefined) {
        throw new RegistryHttpError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${id} ended while this chunk waited`);
      }
      if (expected.start !== undefined && expected.start !== before) {
        throw new RegistryHttpError(
          416,
          'BLOB_UPLOAD_INVALID',
          `chunk starts at ${expected.start}, but the upload has ${before} bytes`,
          undefined,
          { Range: rangeHeader(before) },
        );
      }
      let received = 0;
      const count = async function* (source: AsyncIterable<Buffer>) {
        for await (const data of source) {
          received += data.length;
          yield data;
        }
      };
      try {
        await pipeline(chunk, count, createWriteStream(path, { flags: 'a' }));
        if (expected.length !== undefined && received !== expected.length) {
          throw new RegistryHttpError(
            400,
            'SIZE_INVALID',
            `chunk has ${received} bytes, Content-Range announced ${expected.length}`,
          );
        }
      } catch (err) {
        await truncate(path, before);
        throw err;
      }
      return before + received;
    });
  }

  /**
   * Ends the session. When its bytes hash to `digest`, `store` receives the fsynced data file to move into
   * place; either way the session is gone afterwards. Runs in the session's turn, so no chunk can be
   * appended between the check and the move. Returns whether the digest matched.
   */
  commit(id: string, digest: Digest, store: (file: string) => Promise<void>): Promise<boolean> {
    return this.serialize(id, async () => {
      try {
        const path = this.dataPath(id);
        const handle = await open(path, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        const [algorithm, hex] = digest.split(':') as [string, string];
        const hash = createHash(algorithm);
        for await (const data of createReadStream(path)) hash.update(data as Buffer);
        if (hash.digest('hex') !== hex) return false;
        await store(path);
        return true;
      } finally {
        await rm(this.dir(id), { recursive: true, force: true });
      }
    });
  }

  discard(id: string): Promise<void> {
    return this.serialize(id, () => rm(this.dir(id), { recursive: true, force: true }));
  }

  private async serialize<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.busy.get(id) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    this.busy.set(id, current);
    try {
      return await current;
    } finally {
      if (this.busy.get(id) === current) this.busy.delete(id);
    }
  }

  private dir(id: string): string {
    return join(this.root, 'uploads', id);
  }

  private dataPath(id: string): string {
    return join(this.dir(id), 'data');
  }
}

/** The `Range` header value for an upload of `size` bytes (`0-0` for an empty one, as distribution says). */
export function rangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
