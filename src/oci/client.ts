/**
 * A distribution-spec v1.1 registry client: manifests, blobs (monolithic, chunked, cross-repository
 * mount), tags, referrers (with the tag-schema fallback), token and Basic auth, retries with backoff on
 * 429/5xx, timeouts, and plain HTTP for loopback registries. Everything downloaded is checked against its
 * digest before it is returned: a registry is never trusted with content.
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
import { Authenticator, type Fetch } from './auth.js';
import { IdleDeadline, verifyingStream } from './blob-stream.js';
import { type CredentialStore, DockerConfigCredentials } from './credentials.js';
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
  isLoopbackRegistry,
  manifestReference,
  type Repository,
  registryApiHost,
  repositoryName,
} from './reference.js';
import { referrersTag } from './referrers.js';
import { keepAliveFetch } from './tls-fetch.js';

export interface RegistryClientOptions {
  /** Allow plain HTTP (after HTTPS fails) for registries that are not on this machine. */
  insecure?: boolean;
  timeoutMs?: number;
  /** Further attempts after a 429, 502, 503, 504 or network error. */
  retries?: number;
  /** First backoff delay; doubled on each retry, with jitter. */
  retryDelayMs?: number;
  credentials?: CredentialStore;
  userAgent?: string;
  /** Default: keepAliveFetch (connections kept and reused, HEAD included). */
  fetch?: Fetch;
}

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

export interface PushBlobOptions {
  /** Ask the registry to link the blob from this repository instead of uploading it (same registry). */
  mountFrom?: Repository;
  /** Upload in PATCH chunks of this many bytes when the blob is larger. */
  chunkSize?: number;
  /** The caller has just seen the registry lack the blob (a copy HEADs before downloading): skip the HEAD. */
  knownMissing?: boolean;
}

interface RequestOptions {
  headers?: Record<string, string>;
  /** A stream body is sent once: no retry, no second attempt after an auth challenge. */
  body?: Buffer | ReadableStream<Uint8Array>;
  /** For streamed transfers: a timeout on silence instead of one on the whole request. */
  deadline?: IdleDeadline;
  /** Extra scope beyond this repository's (a mount source). */
  push?: boolean;
  mountFrom?: Repository;
  /** Statuses that are answers, not errors (e.g. 404 for "is it there?"). */
  accept?: number[];
  /** Safe to send again after a network error or 429/5xx. */
  retryable?: boolean;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 10_000;

export class RegistryClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly fetchFn: Fetch;
  private readonly auth: Authenticator;
  /** Registries found to speak plain HTTP only (with --allow-insecure-registry). */
  private readonly plainHttp = new Set<string>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.fetchFn = options.fetch ?? keepAliveFetch();
    this.auth = new Authenticator(
      options.credentials ?? new DockerConfigCredentials(),
      this.fetchFn,
      this.timeoutMs,
    );
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
    const deadline = new IdleDeadline(this.timeoutMs);
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
    const response = await this.request(repo, 'HEAD', `blobs/${digest}`, { accept: [404] });
    return response.status !== 404;
  }

  async pushBlob(
    repo: Repository,
    data: Buffer,
    options: PushBlobOptions = {},
  ): Promise<{ digest: Digest; size: number }> {
    const digest = sha256Digest(data);
    const result = { digest, size: data.length };
    if (!options.knownMissing && (await this.hasBlob(repo, digest))) return result;
    let location = await this.startUpload(repo, digest, options.mountFrom);
    if (location === undefined) return result;
    const chunkSize = options.chunkSize ?? 0;
    if (chunkSize > 0 && data.length > chunkSize) {
      for (let offset = 0; offset < data.length; offset += chunkSize) {
        const chunk = data.subarray(offset, Math.min(offset + chunkSize, data.length));
        const patched = await this.request(repo, 'PATCH', location, {
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${offset}-${offset + chunk.length - 1}`,
          },
          body: chunk,
          push: true,
        });
        await patched.body?.cancel();
        location = this.uploadLocation(patched, repo);
      }
      await this.finishUpload(repo, location, digest, Buffer.alloc(0));
    } else {
      await this.finishUpload(repo, location, digest, data);
    }
    return result;
  }

  /**
   * Uploads a blob from a stream in one monolithic PUT with Content-Length `size`, holding no more of it in
   * memory than the stream's buffers. When the stream fails (a source that served wrong bytes, see
   * getBlobStream) the request is aborted and the upload session cancelled, so the blob is never committed.
   */
  async pushBlobStream(
    repo: Repository,
    digest: Digest,
    size: number,
    stream: ReadableStream<Uint8Array>,
    options: Pick<PushBlobOptions, 'knownMissing'> = {},
  ): Promise<{ digest: Digest; size: number }> {
    const result = { digest, size };
    if (!options.knownMissing && (await this.hasBlob(repo, digest))) {
      await stream.cancel();
      return result;
    }
    const location = await this.startUpload(repo, digest);
    if (location === undefined) return result;
    const deadline = new IdleDeadline(this.timeoutMs);
    try {
      await this.finishUpload(repo, location, digest, stream.pipeThrough(deadline.watch()), {
        size,
        deadline,
      });
    } catch (err) {
      await stream.cancel().catch(() => undefined);
      await this.cancelUpload(repo, location);
      throw err;
    } finally {
      deadline.stop();
    }
    return result;
  }

  /**
   * Asks the registry to link a blob it already holds in `from` into `repo` (cross-repository mount), so
   * that nothing is downloaded or uploaded. False when it declined (it may not let us read `from`); the
   * upload session it opened instead is cancelled.
   */
  async mountBlob(repo: Repository, digest: Digest, from: Repository): Promise<boolean> {
    const started = await this.request(repo, 'POST', `blobs/uploads/${mountQuery(digest, from)}`, {
      push: true,
      retryable: true,
      mountFrom: from,
    });
    await started.body?.cancel();
    if (started.status === 201) return true;
    await this.cancelUpload(repo, this.uploadLocation(started, repo));
    return false;
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

  /** Opens an upload session and returns its location; undefined when the registry mounted the blob. */
  private async startUpload(
    repo: Repository,
    digest: Digest,
    mountFrom?: Repository,
  ): Promise<string | undefined> {
    const started = await this.request(
      repo,
      'POST',
      `blobs/uploads/${mountFrom ? mountQuery(digest, mountFrom) : ''}`,
      { push: true, retryable: true, ...(mountFrom ? { mountFrom } : {}) },
    );
    await started.body?.cancel();
    return started.status === 201 ? undefined : this.uploadLocation(started, repo);
  }

  /** A stream body needs its `size`: registries want a Content-Length, not a chunked body. */
  private async finishUpload(
    repo: Repository,
    location: string,
    digest: Digest,
    body: Buffer | ReadableStream<Uint8Array>,
    streamed?: { size: number; deadline: IdleDeadline },
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const response = await this.request(repo, 'PUT', url.toString(), {
      headers: {
        'Content-Type': 'application/octet-stream',
        ...(streamed ? { 'Content-Length': String(streamed.size) } : {}),
      },
      body,
      push: true,
      ...(streamed ? { deadline: streamed.deadline } : {}),
    });
    await response.body?.cancel();
  }

  private async cancelUpload(repo: Repository, location: string): Promise<void> {
    try {
      const cancelled = await this.request(repo, 'DELETE', location, { push: true, accept: [404] });
      await cancelled.body?.cancel();
    } catch {
      // Best effort: registries expire abandoned upload sessions on their own.
    }
  }

  private uploadLocation(response: Response, repo: Repository): string {
    const location = response.headers.get('location');
    if (!location) {
      throw new SigilError(
        'REGISTRY_ERROR',
        `${repositoryName(repo)}: upload answered ${response.status} without a Location header`,
      );
    }
    return new URL(location, response.url).toString();
  }

  /**
   * One registry call: `path` is relative to /v2/<name>/ or an absolute URL (upload locations). Handles
   * auth challenges (one retry with credentials), retries and timeouts, and maps failures to SigilErrors.
   */
  private async request(
    repo: Repository,
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<Response> {
    const scope = [
      `repository:${repo.repository}:${options.push ? 'pull,push' : 'pull'}`,
      ...(options.mountFrom ? [`repository:${options.mountFrom.repository}:pull`] : []),
    ].join(' ');
    let authorization = this.auth.cached(repo.registry, scope);
    const resendable = !(options.body instanceof ReadableStream);
    const retryable = resendable && (options.retryable ?? isIdempotent(method));
    // A streamed body cannot be sent twice: without a second attempt, a challenge is an answer.
    let challenged = !resendable;
    for (let attempt = 0; ; attempt++) {
      const url = /^https?:\/\//.test(path)
        ? path
        : `${this.baseUrl(repo.registry)}/v2/${repo.repository}/${path}`;
      let response: Response;
      try {
        response = await this.send(url, method, options, authorization);
      } catch (err) {
        // A failing body stream (content that did not match its digest) says more than "fetch failed".
        const cause = sigilCause(err);
        if (cause) throw cause;
        if (resendable && this.switchToPlainHttp(repo.registry, url, err)) continue;
        if (retryable && attempt < this.retries) {
          await this.backoff(attempt);
          continue;
        }
        throw unreachable(method, url, err, this.timeoutMs);
      }
      if (response.status === 401 && !challenged) {
        challenged = true;
        authorization = await this.auth.respond(
          repo.registry,
          scope,
          response.headers.get('www-authenticate'),
        );
        if (!authorization) throw await registryError(method, url, response);
        await response.body?.cancel();
        attempt--;
        continue;
      }
      if (RETRY_STATUSES.has(response.status) && retryable && attempt < this.retries) {
        await response.body?.cancel();
        await this.backoff(attempt, response.headers.get('retry-after'));
        continue;
      }
      if (response.ok || options.accept?.includes(response.status)) return response;
      throw await registryError(method, url, response);
    }
  }

  private async send(
    url: string,
    method: string,
    options: RequestOptions,
    authorization: string | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      'User-Agent': this.options.userAgent ?? 'sigil',
      ...options.headers,
      ...(authorization ? { Authorization: authorization } : {}),
    };
    const signal = options.deadline?.start() ?? AbortSignal.timeout(this.timeoutMs);
    // Node's fetch sends a stream body only in half-duplex mode, which the DOM RequestInit type lacks.
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
    if (options.body) init.body = options.body;
    if (options.body instanceof ReadableStream) init.duplex = 'half';
    return this.fetchFn(url, init);
  }

  private baseUrl(registry: string): string {
    const host = registryApiHost(registry);
    const plain = isLoopbackRegistry(registry) || this.plainHttp.has(registry);
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  /** With --allow-insecure-registry, a registry that fails over HTTPS is tried once over plain HTTP. */
  private switchToPlainHttp(registry: string, url: string, err: unknown): boolean {
    if (!this.options.insecure || this.plainHttp.has(registry) || !url.startsWith('https:')) return false;
    if (err instanceof Error && err.name === 'TimeoutError') return false;
    this.plainHttp.add(registry);
    return true;
  }

  private async backoff(attempt: number, retryAfter?: string | null): Promise<void> {
    const fromHeader = retryAfter ? retryAfterMs(retryAfter) : undefined;
    const exponential = this.retryDelayMs * 2 ** attempt;
    const delay = fromHeader ?? exponential * (0.5 + Math.random() / 2);
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, MAX_RETRY_AFTER_MS)));
  }
}

function mountQuery(digest: Digest, from: Repository): string {
  return `?mount=${digest}&from=${encodeURIComponent(from.repository)}`;
}

function isIdempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'PUT' || method === 'DELETE';
}

function retryAfterMs(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
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

/** The SigilError that made a request fail, when there is one (fetch wraps body errors in `cause`). */
function sigilCause(err: unknown): SigilError | undefined {
  if (err instanceof SigilError) return err;
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof SigilError ? cause : undefined;
}

function unreachable(method: string, url: string, err: unknown, timeoutMs: number): SigilError {
  const error = err instanceof Error ? err : new Error(String(err));
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new SigilError('REGISTRY_UNREACHABLE', `${method} ${url}: no answer within ${timeoutMs / 1000} s`);
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? error.message;
  return new SigilError(
    'REGISTRY_UNREACHABLE',
    `${method} ${url}: ${reason}`,
    'is the registry running and the address right?',
  );
}

async function registryError(method: string, url: string, response: Response): Promise<SigilError> {
  const text = method === 'HEAD' ? '' : await response.text().catch(() => '');
  const detail = registryErrorDetail(text);
  const message = `${method} ${url}: ${response.status}${detail ? ` ${detail}` : ` ${response.statusText}`}`;
  switch (response.status) {
    case 401:
      return new SigilError(
        'REGISTRY_UNAUTHORIZED',
        message,
        'log in with docker login, or set REGISTRY_AUTH_FILE',
      );
    case 403:
      return new SigilError('REGISTRY_DENIED', message);
    case 404:
      return new SigilError('REGISTRY_NOT_FOUND', message);
    default:
      return new SigilError('REGISTRY_ERROR', message);
  }
}

/** `CODE message` of the first entry of a distribution error body, or undefined when there is none. */
function registryErrorDetail(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const first = isRecord(body) && Array.isArray(body.errors) ? body.errors[0] : undefined;
    if (isRecord(first))
      return [first.code, first.message].filter((v) => typeof v === 'string' && v).join(' ');
  } catch {
    // not JSON: no detail
  }
  return undefined;
}
