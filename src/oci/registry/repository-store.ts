/**
 * Per-repository metadata under `repositories/<name>/`: which global blobs the repository may serve
 * (`_layers/<hex>` markers), which manifests it holds (`_manifests/revisions/<hex>` holding the media
 * type), its tags (`_manifests/tags/<tag>` holding a digest) and the referrers index
 * (`_referrers/<subject hex>/<hex>` holding the descriptor the referrers API lists). Files are named by
 * hex alone: sha256 and sha512 hex differ in length, so the name is unambiguous.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, isDigest, isRecord, parseJson } from '../../core/index.js';
import { fileSize, listNames, readText, writeAtomic } from './fs.js';
import type { ReferrerDescriptor } from './manifest-check.js';

export class RepositoryStore {
  constructor(private readonly root: string) {}

  async hasLayer(repository: string, digest: Digest): Promise<boolean> {
    return (await fileSize(this.layerPath(repository, digest))) !== undefined;
  }

  linkLayer(repository: string, digest: Digest): Promise<void> {
    return writeAtomic(this.layerPath(repository, digest), '');
  }

  unlinkLayer(repository: string, digest: Digest): Promise<boolean> {
    return remove(this.layerPath(repository, digest));
  }

  /** The media type of a manifest the repository holds, or undefined when it holds no such manifest. */
  revision(repository: string, digest: Digest): Promise<string | undefined> {
    return readText(this.revisionPath(repository, digest));
  }

  putRevision(repository: string, digest: Digest, mediaType: string): Promise<void> {
    return writeAtomic(this.revisionPath(repository, digest), mediaType);
  }

  deleteRevision(repository: string, digest: Digest): Promise<boolean> {
    return remove(this.revisionPath(repository, digest));
  }

  async tag(repository: string, tag: string): Promise<Digest | undefined> {
    const digest = await readText(this.tagPath(repository, tag));
    return digest !== undefined && isDigest(digest) ? digest : undefined;
  }

  setTag(repository: string, tag: string, digest: Digest): Promise<void> {
    return writeAtomic(this.tagPath(repository, tag), digest);
  }

  deleteTag(repository: string, tag: string): Promise<boolean> {
    return remove(this.tagPath(repository, tag));
  }

  /** Tags in Go's `sort.Strings` order (code-unit order), as the spec allows. */
  listTags(repository: string): Promise<string[]> {
    return listNames(join(this.dir(repository), '_manifests', 'tags'));
  }

  addReferrer(repository: string, subject: Digest, referrer: ReferrerDescriptor): Promise<void> {
    return writeAtomic(this.referrerPath(repository, subject, referrer.digest), JSON.stringify(referrer));
  }

  async removeReferrer(repository: string, subject: Digest, digest: Digest): Promise<void> {
    await remove(this.referrerPath(repository, subject, digest));
  }

  async referrers(repository: string, subject: Digest): Promise<ReferrerDescriptor[]> {
    const dir = join(this.dir(repository), '_referrers', hexOf(subject));
    const found: ReferrerDescriptor[] = [];
    for (const name of await listNames(dir)) {
      const text = await readText(join(dir, name));
      const descriptor = text === undefined ? undefined : parseJson(text, `referrer ${name}`);
      if (isRecord(descriptor)) found.push(descriptor as unknown as ReferrerDescriptor);
    }
    return found;
  }

  async exists(repository: string): Promise<boolean> {
    return (await readdir(this.dir(repository)).catch(() => undefined)) !== undefined;
  }

  /**
   * Every repository name, sorted. Name components never start with `_`, so `_layers`, `_manifests` and
   * `_referrers` mark a repository and are never mistaken for a nested one.
   */
  async list(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (prefix !== '' && entries.some((e) => e.name.startsWith('_'))) found.push(prefix);
      for (const entry of entries) {
        if (entry.isDirectory() && !entry.name.startsWith('_')) {
          await walk(join(dir, entry.name), prefix === '' ? entry.name : `${prefix}/${entry.name}`);
        }
      }
    };
    await walk(join(this.root, 'repositories'), '');
    return found.sort();
  }

  private dir(repository: string): string {
    return join(this.root, 'repositories', repository);
  }

  private layerPath(repository: string, digest: Digest): string {
    return join(this.dir(repository), '_layers', hexOf(digest));
  }

  private revisionPath(repository: string, digest: Digest): string {
    return join(this.dir(repository), '_manifests', 'revisions', hexOf(digest));
  }

  private tagPath(repository: string, tag: string): string {
    return join(this.dir(repository), '_manifests', 'tags', tag);
  }

  private referrerPath(repository: string, subject: Digest, digest: Digest): string {
    return join(this.dir(repository), '_referrers', hexOf(subject), hexOf(digest));
  }
}

function hexOf(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

async function remove(path: string): Promise<boolean> {
  if ((await fileSize(path)) === undefined) return false;
  await rm(path, { force: true });
  return true;
}
