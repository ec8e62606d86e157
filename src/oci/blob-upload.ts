/**
 * Blob uploads (distribution spec): monolithic, chunked (PATCH), streamed, and cross-repository mounts; a
 * blob the registry already holds is not sent again.
 */
import { type Digest, SigilError, sha256Digest } from '../core/index.js';
import { IdleDeadline } from './blob-stream.js';
import { type Repository, repositoryName } from './reference.js';
import type { RegistryTransport } from './registry-transport.js';

export interface PushBlobOptions {
  /** Ask the registry to link the blob from this repository instead of uploading it (same registry). */
  mountFrom?: Repository;
  /** Upload in PATCH chunks of this many bytes when the blob is larger. */
  chunkSize?: number;
  /** The caller has just seen the registry lack the blob (a copy HEADs before downloading): skip the HEAD. */
  knownMissing?: boolean;
}

export async function hasBlob(
  transport: RegistryTransport,
  repo: Repository,
  digest: Digest,
): Promise<boolean> {
  const response = await transport.request(repo, 'HEAD', `blobs/${digest}`, { accept: [404] });
  return response.status !== 404;
}

export async function pushBlob(
  transport: RegistryTransport,
  repo: Repository,
  data: Buffer,
  options: PushBlobOptions = {},
): Promise<{ digest: Digest; size: number }> {
  const digest = sha256Digest(data);
  const result = { digest, size: data.length };
  if (!options.knownMissing && (await hasBlob(transport, repo, digest))) return result;
  let location = await startUpload(transport, repo, digest, options.mountFrom);
  if (location === undefined) return result;
  const chunkSize = options.chunkSize ?? 0;
  if (chunkSize > 0 && data.length > chunkSize) {
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      const chunk = data.subarray(offset, Math.min(offset + chunkSize, data.length));
      const patched = await transport.request(repo, 'PATCH', location, {
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
        push: true,
      });
      await patched.body?.cancel();
      location = uploadLocation(patched, repo);
    }
    await finishUpload(transport, repo, location, digest, Buffer.alloc(0));
  } else {
    await finishUpload(transport, repo, location, digest, data);
  }
  return result;
}

/**
 * Uploads a blob from a stream in one monolithic PUT with Content-Length `size`, holding no more of it in
 * memory than the stream's buffers. When the stream fails (a source that served wrong bytes, see
 * getBlobStream) the request is aborted and the upload session cancelled, so the blob is never committed.
 */
export async function pushBlobStream(
  transport: RegistryTransport,
  repo: Repository,
  digest: Digest,
  size: number,
  stream: ReadableStream<Uint8Array>,
  options: Pick<PushBlobOptions, 'knownMissing'> = {},
): Promise<{ digest: Digest; size: number }> {
  const result = { digest, size };
  if (!options.knownMissing && (await hasBlob(transport, repo, digest))) {
    await stream.cancel();
    return result;
  }
  const location = await startUpload(transport, repo, digest);
  if (location === undefined) return result;
  const deadline = new IdleDeadline(transport.timeoutMs);
  try {
    await finishUpload(transport, repo, location, digest, stream.pipeThrough(deadline.watch()), {
      size,
      deadline,
    });
  } catch (err) {
    await stream.cancel().catch(() => undefined);
    await cancelUpload(transport, repo, location);
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
export async function mountBlob(
  transport: RegistryTransport,
  repo: Repository,
  digest: Digest,
  from: Repository,
): Promise<boolean> {
  const started = await transport.request(repo, 'POST', `blobs/uploads/${mountQuery(digest, from)}`, {
    push: true,
    retryable: true,
    mountFrom: from,
  });
  await started.body?.cancel();
  if (started.status === 201) return true;
  await cancelUpload(transport, repo, uploadLocation(started, repo));
  return false;
}

/** Opens an upload session and returns its location; undefined when the registry mounted the blob. */
async function startUpload(
  transport: RegistryTransport,
  repo: Repository,
  digest: Digest,
  mountFrom?: Repository,
): Promise<string | undefined> {
  const started = await transport.request(
    repo,
    'POST',
    `blobs/uploads/${mountFrom ? mountQuery(digest, mountFrom) : ''}`,
    { push: true, retryable: true, ...(mountFrom ? { mountFrom } : {}) },
  );
  await started.body?.cancel();
  return started.status === 201 ? undefined : uploadLocation(started, repo);
}

/** A stream body needs its `size`: registries want a Content-Length, not a chunked body. */
async function finishUpload(
  transport: RegistryTransport,
  repo: Repository,
  location: string,
  digest: Digest,
  body: Buffer | ReadableStream<Uint8Array>,
  streamed?: { size: number; deadline: IdleDeadline },
): Promise<void> {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  const response = await transport.request(repo, 'PUT', url.toString(), {
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

async function cancelUpload(transport: RegistryTransport, repo: Repository, location: string): Promise<void> {
  try {
    const cancelled = await transport.request(repo, 'DELETE', location, { push: true, accept: [404] });
    await cancelled.body?.cancel();
  } catch {
    // Best effort: registries expire abandoned upload sessions on their own.
  }
}

function uploadLocation(response: Response, repo: Repository): string {
  const location = response.headers.get('location');
  if (!location) {
    throw new SigilError(
      'REGISTRY_ERROR',
      `${repositoryName(repo)}: upload answered ${response.status} without a Location header`,
    );
  }
  return new URL(location, response.url).toString();
}

function mountQuery(digest: Digest, from: Repository): string {
  return `?mount=${digest}&from=${encodeURIComponent(from.repository)}`;
}
