/**
 * A distribution-spec v1.1 registry client: manifests, blobs (uploads in blob-upload.ts), tags, referrers
 * (with the tag-schema fallback); auth, retries, timeouts and plain HTTP for loopback registries are the
 * transport's (registry-transport.ts). Everything downloaded is checked against its digest before it is
 * returned: a registry is never trusted with content.
 */
import {
  assertDigest,
  type Digest,
  digestOf,
  isDigest,
  isRecord,
  parseJson,
  SigilError,
  sha256Digest,
} from '../core/index.js';
import { IdleDeadline, verifyingStream } from './blob-stream.js';
import { hasBlob, mountBlob, type PushBlobOptions, pushBlob, pushBlobStream } from './blob-upload.js';
import {
  type Descriptor,
  isIndex,
  type Manifest,
  type Platform,
  parseManifest,
  selectPlatform,
} from './manifest.js';
import { MANIFEST_ACCEPT, OCI_INDEX } from './media-types.js';
import {
  type ImageReference,
  manifestReference,
  type Repository,
  referrersTag,
  repositoryName,
} from './reference.js';
import { type RegistryClientOptions, RegistryTransport, type RequestOptions } from './registry-transport.js';

export type { PushBlobOptions } from './blob-upload.js';
export type { RegistryClientOptions } from './registry-transport.js';

export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
  manifest: Manifest;
}

/** A blob being downloaded: its size, and its bytes, checked against its digest as they flow. */
export interface BlobStream {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

export class RegistryClient {
  private readonly transport: RegistryTransport;

  constructor(options: RegistryClientOptions = {}) {
    this.transport = new RegistryTransport(options);
  }

  private request(
    repo: Repository,
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<Response> {
    return this.transport.request(repo, method, path, options);
  }

  async getManifest(repo: Repository, reference: string): Promise<FetchedManifest> {
    const response = await this.request(repo, 'GET', `manifests/${reference}`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const where = `${repositoryName(repo)}:${reference}`;
    const digest = checkManifestDigest(
      bytes,
      reference,
      response.headers.get('docker-content-digest'),
      where,
    );
    const served = contentType(response);
    const manifest = parseManifest(bytes, served, where);
    return { digest, mediaType: manifest.mediaType ?? served ?? '', bytes, manifest };
  }

  /** The manifest's digest, type and size without its body; undefined when it does not exist. */
  async headManifest(
    repo: Repository,
    reference: string,
  ): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
    const response = await this.request(repo, 'HEAD', `manifests/${reference}`, {
      headers: { Accept: MANIFEST_ACCEPT },
      accept: [404],
    });
    if (response.status === 404) return undefined;
    const header = response.headers.get('docker-content-digest');
    const digest = header && isDigest(header) ? header : (await this.getManifest(repo, reference)).digest;
    if (isDigest(reference) && digest !== reference) {
      throw new SigilError(
        'DIGEST_MISMATCH',
        `${repositoryName(repo)}@${reference}: registry answered with digest ${digest}`,
      );
    }
    return {
      digest,
      mediaType: contentType(response) ?? '',
      size: Number(response.headers.get('content-length') ?? 0),
    };
  }

  /** The digest a reference names: its own digest, or the one its tag points to now. */
  async resolveDigest(ref: ImageReference): Promise<Digest> {
    if (ref.digest) return ref.digest;
    const reference = manifestReference(ref);
    const found = await this.headManifest(ref, reference);
    if (!found) {
      throw new SigilError(
        'REGISTRY_NOT_FOUND',
        `image ${repositoryName(ref)}:${reference} not found (404 MANIFEST_UNKNOWN)`,
      );
    }
    return found.digest;
  }

  /** The digest of the platform's image when the reference names an index, else the reference's digest. */
  async resolvePlatform(repo: Repository, reference: string, platform: Platform): Promise<Digest> {
    const fetched = await this.getManifest(repo, reference);
    if (!isIndex(fetched.manifest)) return fetched.digest;
    return selectPlatform(fetched.manifest, platform, `${repositoryName(repo)}:${reference}`).digest;
  }

  async putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    return (await this.storeManifest(repo, reference, bytes, mediaType)).digest;
  }

  /**
   * Stores a manifest and says whether the registry acknowledged its subject (`OCI-Subject` header): a
   * registry that did not keeps no referrers index, and the pusher must maintain the tag-schema one.
   */
  async storeManifest(
    repo: Repository,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<{ digest: Digest; subjectAcknowledged: boolean }> {
    const response = await this.request(repo, 'PUT', `manifests/${reference}`, {
      headers: { 'Content-Type': mediaType },
      body: bytes,
      push: true,
      retryable: true,
    });
    await response.body?.cancel();
    const digest = sha256Digest(bytes);
    const answered = response.headers.get('docker-content-digest');
    if (answered && answered !== digest && answered.startsWith('sha256:')) {
      throw new SigilError(
        'DIGEST_MISMATCH',
        `${repositoryName(repo)}:${reference}: registry stored ${answered}, we sent ${digest}`,
      );
    }
    return { digest, subjectAcknowledged: response.headers.has('oci-subject') };
  }

  async deleteManifest(repo: Repository, reference: string): Promise<void> {
    const response = await this.request(repo, 'DELETE', `manifests/${reference}`, {
      push: true,
      retryable: true,
    });
    await response.body?.cancel();
  }

  /** The blob's bytes, verified against `digest` (DIGEST_MISMATCH otherwise). */
  async getBlob(repo: Repository, digest: Digest): Promise<Buffer> {
    const response = await this.request(repo, 'GET', `blobs/${digest}`, {});
    const bytes = Buffer.from(await response.arrayBuffer());
    assertDigest(bytes, digest, `blob ${repositoryName(repo)}@${digest}`);
    return bytes;
  }

  /**
   * The blob as a stream, for blobs too large to hold in memory: `size` is the descriptor's (else the
   * registry's Content-Length). The bytes are hashed as they pass and the stream errors with DIGEST_MISMATCH
   * before its last chunk when they do not match the digest or the size (see verifyingStream).
   */
  async getBlobStream(repo: Repository, digest: Digest, size?: number): Promise<BlobStream> {
    const deadline = new IdleDeadline(this.transport.timeoutMs);
    const response = await this.request(repo, 'GET', `blobs/${digest}`, { deadline });
    const where = `blob ${repositoryName(repo)}@${digest}`;
    const length = response.headers.get('content-length');
    const expected = size ?? (length === null ? Number.NaN : Number(length));
    if (!Number.isSafeInteger(expected) || expected < 0 || !response.body) {
      deadline.stop();
      await response.body?.cancel();
      throw new SigilError('REGISTRY_ERROR', `${where}: the registry did not say the blob's size`);
    }
    return {
      size: expected,
      stream: response.body.pipeThrough(verifyingStream(digest, expected, where, deadline)),
    };
  }

  async hasBlob(repo: Repository, digest: Digest): Promise<boolean> {
    return hasBlob(this.transport, repo, digest);
  }

  async pushBlob(
    repo: Repository,
    data: Buffer,
    options: PushBlobOptions = {},
  ): Promise<{ digest: Digest; size: number }> {
    return pushBlob(this.transport, repo, data, options);
  }

  /** See blob-upload.ts: one monolithic PUT from a stream, cancelled when the stream fails. */
  async pushBlobStream(
    repo: Repository,
    digest: Digest,
    size: number,
    stream: ReadableStream<Uint8Array>,
    options: Pick<PushBlobOptions, 'knownMissing'> = {},
  ): Promise<{ digest: Digest; size: number }> {
    return pushBlobStream(this.transport, repo, digest, size, stream, options);
  }

  /** Links a blob the registry holds in `from` into `repo`; false when it declined. */
  async mountBlob(repo: Repository, digest: Digest, from: Repository): Promise<boolean> {
    return mountBlob(this.transport, repo, digest, from);
  }

  /** Every tag of the repository, following the registry's pagination (Link rel="next"). */
  async listTags(repo: Repository, options: { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}`;
    while (path) {
      const response = await this.request(repo, 'GET', path, {});
      const body = parseJson(await response.text(), `tags of ${repositoryName(repo)}`);
      if (!isRecord(body) || !(body.tags === null || Array.isArray(body.tags))) {
        throw new SigilError('REGISTRY_ERROR', `tags of ${repositoryName(repo)}: answer has no "tags" list`);
      }
      tags.push(...((body.tags ?? []) as unknown[]).filter((t): t is string => typeof t === 'string'));
      path = nextLink(response);
    }
    return tags;
  }

  /**
   * The manifests whose subject is `digest`: the referrers API, or, when the registry has none (404), the
   * index the OCI tag schema keeps at tag `sha256-<hex>`. Filtering by artifact type happens here when
   * the registry did not apply it.
   */
  async referrers(
    repo: Repository,
    digest: Digest,
    options: { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
    const descriptors: Descriptor[] = [];
    // Each page says for itself whether the registry filtered it; one unfiltered page means filtering here.
    let filtered = true;
    let path: string | undefined = `referrers/${digest}${query}`;
    while (path) {
      const response = await this.request(repo, 'GET', path, {
        headers: { Accept: OCI_INDEX },
        accept: [404],
      });
      if (response.status === 404) {
        await response.body?.cancel();
        descriptors.push(...(await this.tagSchemaReferrers(repo, digest)));
        filtered = false;
        break;
      }
      const bytes = Buffer.from(await response.arrayBuffer());
      const index = parseManifest(bytes, OCI_INDEX, `referrers of ${repositoryName(repo)}@${digest}`);
      if (isIndex(index)) descriptors.push(...index.manifests);
      const applied = (response.headers.get('oci-filters-applied') ?? '').split(',').map((f) => f.trim());
      filtered &&= applied.includes('artifactType');
      path = nextLink(response);
    }
    if (!options.artifactType || filtered) return descriptors;
    return descriptors.filter((d) => d.artifactType === options.artifactType);
  }

  /** The descriptors in the referrers tag-schema index of `digest` (tag `sha256-<hex>`); none if absent. */
  async tagSchemaReferrers(repo: Repository, digest: Digest): Promise<Descriptor[]> {
    const tag = referrersTag(digest);
    try {
      const { manifest } = await this.getManifest(repo, tag);
      return isIndex(manifest) ? manifest.manifests : [];
    } catch (err) {
      if (err instanceof SigilError && err.code === 'REGISTRY_NOT_FOUND') return [];
      throw err;
    }
  }
}

function contentType(response: Response): string | undefined {
  return response.headers.get('content-type')?.split(';')[0]?.trim() || undefined;
}

/** The digest of fetched manifest bytes, checked against the reference (a digest) and the registry's header. */
function checkManifestDigest(bytes: Buffer, reference: string, header: string | null, where: string): Digest {
  if (isDigest(reference)) {
    assertDigest(bytes, reference, `manifest ${where}`);
    return reference;
  }
  if (header && isDigest(header)) {
    assertDigest(bytes, header, `manifest ${where}`);
    return header;
  }
  return digestOf(bytes);
}

/** The next page from a `Link: <url>; rel="next"` header, relative to the request URL. */
function nextLink(response: Response): string | undefined {
  const link = response.headers.get('link');
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return match?.[1] ? new URL(match[1], response.url).toString() : undefined;
}
