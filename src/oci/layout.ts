/**
 * Pushes an image from an OCI image layout on disk (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) to a
 * registry, as `cosign load --dir` does: how a pipeline without a Docker engine (a tar-and-hash build, a
 * `crane`/`buildah`/`skopeo` export) publishes what it built. Every blob is checked against its digest
 * before it leaves the machine: a corrupt layout fails here, naming the file, not in a pull later.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, digestOf, isRecord, parseDigest, parseJson, SigilError } from '../core/index.js';
import type { RegistryClient } from './client.js';
import { type Descriptor, isIndex, parseManifest } from './manifest.js';
import { INDEX_TYPES } from './media-types.js';
import { type ImageReference, manifestReference, type Repository } from './reference.js';

/** The one image (or index) of the layout, pushed under `ref`'s tag or digest; its digest. */
export async function pushOciLayout(
  client: RegistryClient,
  dir: string,
  ref: ImageReference,
): Promise<Digest> {
  await checkLayoutVersion(dir);
  const top = await layoutEntry(dir);
  if (ref.digest && ref.digest !== top.digest) {
    throw new SigilError('DIGEST_MISMATCH', `${dir}: the layout's image is ${top.digest}, not ${ref.digest}`);
  }
  const bytes = await pushManifestTree(client, dir, ref, top);
  return client.putManifest(ref, manifestReference(ref), bytes, top.mediaType);
}

async function checkLayoutVersion(dir: string): Promise<void> {
  const where = join(dir, 'oci-layout');
  const marker = parseJson(await readLayoutFile(where), where);
  if (!isRecord(marker) || marker.imageLayoutVersion !== '1.0.0') {
    throw new SigilError('BAD_INPUT', `${where}: not an OCI image layout (want imageLayoutVersion "1.0.0")`);
  }
}

/** index.json must name exactly one manifest: which of several to push would be a guess. */
async function layoutEntry(dir: string): Promise<Descriptor> {
  const where = join(dir, 'index.json');
  const index = parseManifest(await readLayoutFile(where), INDEX_TYPES[0], where);
  if (!isIndex(index) || index.manifests.length !== 1) {
    throw new SigilError(
      'BAD_INPUT',
      `${where}: names ${isIndex(index) ? index.manifests.length : 0} manifests; sigil load pushes a layout holding one image`,
    );
  }
  return index.manifests[0] as Descriptor;
}

/** Pushes the blobs (and child manifests) under a manifest, children first; the manifest's own bytes. */
async function pushManifestTree(
  client: RegistryClient,
  dir: string,
  repo: Repository,
  descriptor: Descriptor,
): Promise<Buffer> {
  const bytes = await readBlob(dir, descriptor);
  const manifest = parseManifest(bytes, descriptor.mediaType, blobPath(dir, descriptor.digest));
  if (isIndex(manifest)) {
    for (const child of manifest.manifests) {
      const childBytes = await pushManifestTree(client, dir, repo, child);
      await client.putManifest(repo, child.digest, childBytes, child.mediaType);
    }
  } else {
    for (const blob of [manifest.config, ...manifest.layers]) {
      if (!(await client.hasBlob(repo, blob.digest))) await client.pushBlob(repo, await readBlob(dir, blob));
    }
  }
  return bytes;
}

function blobPath(dir: string, digest: Digest): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join(dir, 'blobs', algorithm, hex);
}

async function readBlob(dir: string, descriptor: Descriptor): Promise<Buffer> {
  const digest = parseDigest(descriptor.digest, `${dir}: descriptor`);
  const path = blobPath(dir, digest);
  const bytes = await readLayoutFile(path);
  const actual = digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256');
  if (actual !== digest || bytes.length !== descriptor.size) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      `${path}: holds ${bytes.length} bytes with digest ${actual}, but is described as ${descriptor.size} bytes with ${digest}`,
    );
  }
  return bytes;
}

async function readLayoutFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new SigilError(
      'IO_ERROR',
      `${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      undefined,
      {
        cause: err,
      },
    );
  }
}
