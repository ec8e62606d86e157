/**
 * The registry's storage as the HTTP layer sees it: global blobs, upload sessions and per-repository
 * metadata composed so that the order of writes keeps every state a reader can observe consistent. A
 * blob is stored before a repository links it, a manifest's bytes and referrers entry before its revision,
 * its revision before its tags; a crash between steps leaves only unreferenced or invisible files.
 */
import type { ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/index.js';
import { BlobStore } from './blob-store.js';
import {
  type InspectedManifest,
  type ReferrerDescriptor,
  referrerDescriptor,
  subjectOf,
} from './manifest-check.js';
import { RepositoryStore } from './repository-store.js';
import { UploadStore } from './upload-store.js';

export interface StoredManifest {
  mediaType: string;
  bytes: Buffer;
}

export class RegistryStorage {
  private readonly blobs: BlobStore;
  private readonly repositories: RepositoryStore;
  readonly uploads: UploadStore;

  constructor(dataDir: string) {
    this.blobs = new BlobStore(dataDir);
    this.repositories = new RepositoryStore(dataDir);
    this.uploads = new UploadStore(dataDir);
  }

  /** The size of a blob `repository` may serve (a pushed or mounted blob, or one of its manifests). */
  async blobSize(repository: string, digest: Digest): Promise<number | undefined> {
    const linked =
      (await this.repositories.hasLayer(repository, digest)) ||
      (await this.repositories.revision(repository, digest)) !== undefined;
    return linked ? this.blobs.size(digest) : undefined;
  }

  openBlob(digest: Digest, range?: { start: number; end: number }): ReadStream {
    return this.blobs.stream(digest, range);
  }

  /** Ends an upload session: stores and links its bytes when they hash to `digest`. The session is gone either way. */
  finishUpload(repository: string, id: string, digest: Digest): Promise<boolean> {
    return this.uploads.commit(id, digest, async (file) => {
      await this.blobs.adopt(file, digest);
      await this.repositories.linkLayer(repository, digest);
    });
  }

  /** Uploads a whole blob in one go (a monolithic POST), through a session so that it is verified the same way. */
  async putBlob(repository: string, digest: Digest, body: Readable): Promise<boolean> {
    const id = await this.uploads.start(repository);
    try {
      await this.uploads.append(id, body);
    } catch (err) {
      await this.uploads.discard(id);
      throw err;
    }
    return this.finishUpload(repository, id, digest);
  }

  async mountBlob(repository: string, from: string, digest: Digest): Promise<boolean> {
    if ((await this.blobSize(from, digest)) === undefined) return false;
    await this.repositories.linkLayer(repository, digest);
    return true;
  }

  /** Unlinks a blob from the repository; its bytes stay for other repositories (there is no garbage collection). */
  deleteBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.repositories.unlinkLayer(repository, digest);
  }

  /** Digests named by the manifest that the repository holds neither as blob nor as manifest. */
  async missingReferences(repository: string, manifest: InspectedManifest): Promise<Digest[]> {
    const missing: Digest[] = [];
    for (const digest of manifest.blobs) {
      if (!(await this.repositories.hasLayer(repository, digest))) missing.push(digest);
    }
    for (const digest of manifest.children) {
      if ((await this.blobSize(repository, digest)) === undefined) missing.push(digest);
    }
    return missing;
  }

  async putManifest(
    repository: string,
    manifest: InspectedManifest,
    stored: { digest: Digest; bytes: Buffer },
    tags: readonly string[],
  ): Promise<void> {
    await this.blobs.put(stored.digest, stored.bytes);
    if (manifest.subject !== undefined) {
      const descriptor = referrerDescriptor(manifest, stored.digest, stored.bytes.length);
      await this.repositories.addReferrer(repository, manifest.subject, descriptor);
    }
    await this.repositories.putRevision(repository, stored.digest, manifest.mediaType);
    for (const tag of tags) await this.repositories.setTag(repository, tag, stored.digest);
  }

  /** A tag's or digest's manifest digest, when the repository holds that manifest. */
  async resolve(repository: string, reference: Digest | { tag: string }): Promise<Digest | undefined> {
    const digest =
      typeof reference === 'string' ? reference : await this.repositories.tag(repository, reference.tag);
    if (digest === undefined) return undefined;
    return (await this.repositories.revision(repository, digest)) === undefined ? undefined : digest;
  }

  async getManifest(repository: string, digest: Digest): Promise<StoredManifest | undefined> {
    const mediaType = await this.repositories.revision(repository, digest);
    if (mediaType === undefined) return undefined;
    return { mediaType, bytes: await this.blobs.read(digest) };
  }

  /** Deletes a manifest with every tag pointing at it and its referrers entry. */
  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    const manifest = await this.getManifest(repository, digest);
    if (manifest === undefined) return false;
    for (const tag of await this.repositories.listTags(repository)) {
      if ((await this.repositories.tag(repository, tag)) === digest)
        await this.repositories.deleteTag(repository, tag);
    }
    await this.repositories.deleteRevision(repository, digest);
    const subject = subjectOf(manifest.bytes);
    if (subject !== undefined) await this.repositories.removeReferrer(repository, subject, digest);
    return true;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.repositories.deleteTag(repository, tag);
  }

  listTags(repository: string): Promise<string[]> {
    return this.repositories.listTags(repository);
  }

  /** Referrers of `subject`; an entry whose manifest is not (or no longer) held is not listed. */
  async referrers(repository: string, subject: Digest): Promise<ReferrerDescriptor[]> {
    const entries = await this.repositories.referrers(repository, subject);
    const held = await Promise.all(entries.map((e) => this.repositories.revision(repository, e.digest)));
    return entries.filter((_, i) => held[i] !== undefined);
  }

  repositoryExists(repository: string): Promise<boolean> {
    return this.repositories.exists(repository);
  }

  listRepositories(): Promise<string[]> {
    return this.repositories.list();
  }
}
