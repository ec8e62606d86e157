/**
 * Copying manifests between repositories and registries, content-addressed: an index with every child
 * manifest, every blob once, skipping what the destination already holds (a HEAD before any download),
 * and linking blobs by cross-repository mount when both sides are on one registry. Manifests keep their
 * exact bytes, so their digests, and the signatures made over them, stay valid at the destination.
 */
import { mapLimited } from '../core/index.js';
import type { FetchedManifest, RegistryClient } from './client.js';
import { type Descriptor, isIndex, type Manifest } from './manifest.js';
import { type Repository, repositoryName } from './reference.js';

export interface CopyStats {
  /** Manifests written to the destination (not counting tag updates of manifests already there). */
  manifests: number;
  /** Manifests the destination already held, whose content was therefore not looked at again. */
  manifestsPresent: number;
  /** Blobs downloaded from the source and uploaded to the destination. */
  blobsCopied: number;
  /** Blobs linked by cross-repository mount on the same registry. */
  blobsMounted: number;
  /** Blobs the destination already held. */
  blobsPresent: number;
  /** Bytes of the blobs copied (mounted and present blobs move no bytes). */
  bytes: number;
}

export function emptyCopyStats(): CopyStats {
  return { manifests: 0, manifestsPresent: 0, blobsCopied: 0, blobsMounted: 0, blobsPresent: 0, bytes: 0 };
}

/**
 * Layers that image specs mark as not to be redistributed (Windows base layers): their manifests list
 * them, but registries serve them from elsewhere, so copies leave them out as go-containerregistry does.
 */
const NON_DISTRIBUTABLE = /\.(foreign|nondistributable)\./;

const DEFAULT_CONCURRENCY = 4;

/**
 * Blobs larger than this are streamed from source to destination instead of held in memory, so that
 * copying a multi-GB image needs no more memory than a small one. Smaller blobs (configs, signatures)
 * keep the Buffer path, which can retry its upload and costs one round trip less to set up.
 */
export const STREAM_BLOB_THRESHOLD = 1 << 20;

export class ImageCopier {
  readonly stats: CopyStats = emptyCopyStats();
  /** One transfer per destination repository and digest: a blob shared by several manifests moves once. */
  private readonly blobs = new Map<string, Promise<void>>();

  constructor(
    private readonly client: RegistryClient,
    private readonly concurrency = DEFAULT_CONCURRENCY,
  ) {}

  /**
   * Copies `source` and everything it references from `from` to `to`: by digest, or under `tag` when one
   * is given (the tag is (re)written even when the manifest was there already). True when the manifest
   * was not at the destination before.
   */
  async copyManifest(
    from: Repository,
    to: Repository,
    source: FetchedManifest,
    tag?: string,
  ): Promise<boolean> {
    const present = await this.client.headManifest(to, source.digest);
    if (present) {
      this.stats.manifestsPresent++;
    } else {
      await this.copyReferenced(from, to, source.manifest);
      this.stats.manifests++;
    }
    if (!present || tag !== undefined) {
      await this.client.putManifest(to, tag ?? source.digest, source.bytes, source.mediaType);
    }
    return !present;
  }

  /** Copies what `manifest` references (child manifests or config and layers), not the manifest itself. */
  async copyReferenced(from: Repository, to: Repository, manifest: Manifest): Promise<void> {
    if (isIndex(manifest)) {
      await mapLimited(manifest.manifests, this.concurrency, async (child) =>
        this.copyManifest(from, to, await this.client.getManifest(from, child.digest)),
      );
      return;
    }
    const blobs = [manifest.config, ...manifest.layers].filter((d) => !NON_DISTRIBUTABLE.test(d.mediaType));
    await mapLimited(blobs, this.concurrency, (blob) => this.copyBlob(from, to, blob));
  }

  private copyBlob(from: Repository, to: Repository, blob: Descriptor): Promise<void> {
    const key = `${repositoryName(to)}@${blob.digest}`;
    let transfer = this.blobs.get(key);
    if (transfer === undefined) {
      transfer = this.transferBlob(from, to, blob);
      this.blobs.set(key, transfer);
    }
    return transfer;
  }

  private async transferBlob(from: Repository, to: Repository, blob: Descriptor): Promise<void> {
    if (await this.client.hasBlob(to, blob.digest)) {
      this.stats.blobsPresent++;
      return;
    }
    const sameRegistry = from.registry === to.registry && from.repository !== to.repository;
    if (sameRegistry && (await this.client.mountBlob(to, blob.digest, from))) {
      this.stats.blobsMounted++;
      return;
    }
    const moved =
      blob.size > STREAM_BLOB_THRESHOLD
        ? await this.streamBlob(from, to, blob)
        : await this.client.pushBlob(to, await this.client.getBlob(from, blob.digest), {
            knownMissing: true,
          });
    this.stats.blobsCopied++;
    this.stats.bytes += moved.size;
  }

  private async streamBlob(from: Repository, to: Repository, blob: Descriptor): Promise<{ size: number }> {
    const { size, stream } = await this.client.getBlobStream(from, blob.digest, blob.size);
    return this.client.pushBlobStream(to, blob.digest, size, stream, { knownMissing: true });
  }
}
