/**
 * The embedded registry's content-addressed filesystem store. Blobs (manifests included) live once under
 * `blobs/<alg>/<hex>`; each repository links what it may see (`_layers`, `_manifests/revisions`), names
 * tags (`_manifests/tags/<tag>` holding a digest) and indexes referrers by subject
 * (`_referrers/<subject>/<hex>` holding the descriptor). Every file appears by an atomic rename after an
 * fsync, so a crash leaves either the old state or the new one, never a partial file.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Digest, digestOf, writeFileAtomic } from '../../core/index.js';
import type { Descriptor } from '../manifest.js';

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

export class RegistryStorage {
  constructor(private readonly root: string) {}

  // ---- blobs ----

  async hasBlob(repo: string, digest: Digest): Promise<number | undefined> {
    if (!(await exists(this.link(repo, '_layers', digest))) && !(await exists(this.revision(repo, digest))))
      return undefined;
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.size;
  }

  openBlob(digest: Digest): ReadStream {
    return createReadStream(this.blobPath(digest));
  }

  /** Stores verified bytes and links them into `repo`. */
  async putBlob(repo: string, digest: Digest, data: Buffer): Promise<void> {
    if (!(await exists(this.blobPath(digest)))) await this.writeAtomic(this.blobPath(digest), data);
    await this.linkBlob(repo, digest);
  }

  async linkBlob(repo: string, digest: Digest): Promise<void> {
    await this.writeAtomic(this.link(repo, '_layers', digest), '');
  }

  /** Unlinks the blob from `repo`; the bytes stay for other repositories (no garbage collection yet). */
  async deleteBlob(repo: string, digest: Digest): Promise<boolean> {
    const link = this.link(repo, '_layers', digest);
    if (!(await exists(link))) return false;
    await rm(link);
    return true;
  }

  // ---- uploads ----

  async startUpload(repo: string): Promise<string> {
    const id = randomUUID();
    await mkdir(this.uploadDir(id), { recursive: true });
    await this.writeAtomic(join(this.uploadDir(id), 'repo'), repo);
    await this.writeAtomic(join(this.uploadDir(id), 'data'), '');
    return id;
  }

  /** The upload's size so far, or undefined when there is no such upload for this repository. */
  async uploadSize(repo: string, id: string): Promise<number | undefined> {
    const owner = await readFile(join(this.uploadDir(id), 'repo'), 'utf8').catch(() => undefined);
    if (owner !== repo) return undefined;
    return (await stat(join(this.uploadDir(id), 'data'))).size;
  }

  async appendUpload(id: string, chunk: Buffer): Promise<number> {
    const path = join(this.uploadDir(id), 'data');
    await appendFile(path, chunk);
    return (await stat(path)).size;
  }

  /**
   * Completes an upload: the bytes must hash to `digest`, else nothing is stored and the upload is
   * discarded. Returns false on a mismatch.
   */
  async finishUpload(repo: string, id: string, digest: Digest): Promise<boolean> {
    const path = join(this.uploadDir(id), 'data');
    const handle = await open(path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const data = await readFile(path);
    if (digestOf(data, digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== digest) {
      await this.cancelUpload(id);
      return false;
    }
    if (!(await exists(this.blobPath(digest)))) {
      await mkdir(dirname(this.blobPath(digest)), { recursive: true });
      await rename(path, this.blobPath(digest));
    }
    await this.linkBlob(repo, digest);
    await this.cancelUpload(id);
    return true;
  }

  async cancelUpload(id: string): Promise<void> {
    await rm(this.uploadDir(id), { recursive: true, force: true });
  }

  // ---- manifests and tags ----

  async putManifest(
    repo: string,
    manifest: StoredManifest,
    tag: string | undefined,
    referrer?: { subject: Digest; descriptor: Descriptor },
  ): Promise<void> {
    if (!(await exists(this.blobPath(manifest.digest))))
      await this.writeAtomic(this.blobPath(manifest.digest), manifest.bytes);
    await this.writeAtomic(this.revision(repo, manifest.digest), manifest.mediaType);
    if (referrer) {
      await this.writeAtomic(
        this.referrerPath(repo, referrer.subject, manifest.digest),
        JSON.stringify(referrer.descriptor),
      );
    }
    if (tag !== undefined) await this.writeAtomic(this.tagPath(repo, tag), manifest.digest);
  }

  async resolveTag(repo: string, tag: string): Promise<Digest | undefined> {
    return (await readFile(this.tagPath(repo, tag), 'utf8').catch(() => undefined)) as Digest | undefined;
  }

  async getManifest(repo: string, digest: Digest): Promise<StoredManifest | undefined> {
    const mediaType = await readFile(this.revision(repo, digest), 'utf8').catch(() => undefined);
    if (mediaType === undefined) return undefined;
    return { digest, mediaType, bytes: await readFile(this.blobPath(digest)) };
  }

  /** Deletes the manifest revision, every tag pointing at it, and its referrer entries. */
  async deleteManifest(repo: string, digest: Digest): Promise<boolean> {
    if (!(await exists(this.revision(repo, digest)))) return false;
    await rm(this.revision(repo, digest));
    for (const tag of await this.listTags(repo)) {
      if ((await this.resolveTag(repo, tag)) === digest) await rm(this.tagPath(repo, tag), { force: true });
    }
    const referrers = join(this.repoDir(repo), '_referrers');
    for (const subject of await readdir(referrers).catch(() => [])) {
      await rm(join(referrers, subject, fileName(digest)), { force: true });
    }
    return true;
  }

  async deleteTag(repo: string, tag: string): Promise<boolean> {
    if (!(await exists(this.tagPath(repo, tag)))) return false;
    await rm(this.tagPath(repo, tag));
    return true;
  }

  async listTags(repo: string): Promise<string[]> {
    return (await readdir(join(this.repoDir(repo), '_manifests', 'tags')).catch(() => []))
      .filter(isNotTemporary)
      .sort();
  }

  async referrers(repo: string, subject: Digest): Promise<Descriptor[]> {
    const dir = join(this.repoDir(repo), '_referrers', fileName(subject));
    const files = (await readdir(dir).catch(() => [])).filter(isNotTemporary).sort();
    return Promise.all(
      files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as Descriptor),
    );
  }

  async repositoryExists(repo: string): Promise<boolean> {
    return exists(this.repoDir(repo));
  }

  async listRepositories(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (!entry.isDirectory() || entry.name.startsWith('_')) continue;
        const name = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (await exists(join(dir, entry.name, '_manifests'))) found.push(name);
        await walk(join(dir, entry.name), name);
      }
    };
    await walk(join(this.root, 'repositories'), '');
    return found.sort();
  }

  // ---- paths ----

  private blobPath(digest: Digest): string {
    const [algorithm, hex] = digest.split(':') as [string, string];
    return join(this.root, 'blobs', algorithm, hex);
  }

  private repoDir(repo: string): string {
    return join(this.root, 'repositories', repo);
  }

  private link(repo: string, kind: string, digest: Digest): string {
    return join(this.repoDir(repo), kind, fileName(digest));
  }

  private revision(repo: string, digest: Digest): string {
    return join(this.repoDir(repo), '_manifests', 'revisions', fileName(digest));
  }

  private tagPath(repo: string, tag: string): string {
    return join(this.repoDir(repo), '_manifests', 'tags', tag);
  }

  private referrerPath(repo: string, subject: Digest, digest: Digest): string {
    return join(this.repoDir(repo), '_referrers', fileName(subject), fileName(digest));
  }

  private uploadDir(id: string): string {
    return join(this.root, 'uploads', id);
  }

  private async writeAtomic(path: string, data: string | Buffer): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, data);
  }
}

function fileName(digest: Digest): string {
  return digest.replace(':', '-');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** writeFileAtomic's temporary siblings (`<name>.<12 hex>.tmp`) are not entries. */
function isNotTemporary(name: string): boolean {
  return !/\.[0-9a-f]{12}\.tmp$/.test(name);
}
