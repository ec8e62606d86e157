/**
 * Tiny OCI images built in memory (config + one gzip tar layer), so that the demo and the tests need no
 * Docker engine. Deterministic: the same files give the same digest.
 */
import { gzipSync } from 'node:zlib';
import { canonicalJson, type Digest, sha256Digest } from '../core/index.js';
import type { RegistryClient } from './client.js';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from './media-types.js';
import { type ImageReference, manifestReference } from './reference.js';

export interface TestImageOptions {
  files: Record<string, string | Buffer>;
  architecture?: string;
  os?: string;
}

export interface TestImage {
  config: Buffer;
  layer: Buffer;
  manifest: Buffer;
  digest: Digest;
}

const BLOCK = 512;

export function buildTestImage(options: TestImageOptions): TestImage {
  const tar = buildTar(options.files);
  const layer = gzipSync(tar, { level: 9 });
  const config = Buffer.from(
    canonicalJson({
      architecture: options.architecture ?? 'amd64',
      os: options.os ?? 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER_GZIP, digest: sha256Digest(layer), size: layer.length }],
    }),
  );
  return { config, layer, manifest, digest: sha256Digest(manifest) };
}

/** Builds and pushes the image under the reference's tag (or digest); returns the manifest digest. */
export async function pushTestImage(
  client: RegistryClient,
  ref: ImageReference,
  options: TestImageOptions,
): Promise<Digest> {
  const image = buildTestImage(options);
  await client.pushBlob(ref, image.layer);
  await client.pushBlob(ref, image.config);
  const reference = ref.digest ? image.digest : manifestReference(ref);
  return client.putManifest(ref, reference, image.manifest, OCI_MANIFEST);
}

/**
 * A multi-platform test image: one image per architecture (its file names the architecture), pushed by
 * digest, and an OCI image index listing them under the reference's tag. Returns the index's digest and
 * the children's, in the order given.
 */
export async function pushTestIndex(
  client: RegistryClient,
  ref: ImageReference,
  architectures: string[],
): Promise<{ index: Digest; children: Digest[] }> {
  const manifests = [];
  for (const architecture of architectures) {
    const image = buildTestImage({ files: { arch: `${ref.repository}/${architecture}` }, architecture });
    await client.pushBlob(ref, image.layer);
    await client.pushBlob(ref, image.config);
    await client.putManifest(ref, image.digest, image.manifest, OCI_MANIFEST);
    manifests.push({
      mediaType: OCI_MANIFEST,
      digest: image.digest,
      size: image.manifest.length,
      platform: { os: 'linux', architecture },
    });
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  const index = await client.putManifest(ref, manifestReference(ref), bytes, OCI_INDEX);
  return { index, children: manifests.map((m) => m.digest) };
}

/** A POSIX ustar archive of regular files (mode 0644, mtime 0), ending in two zero blocks. */
export function buildTar(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    parts.push(tarHeader(name, data.length), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function tarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar: file name longer than 100 bytes: ${name}`);
  const header = Buffer.alloc(BLOCK);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, 'utf8');
  const octal = (offset: number, length: number, value: number) =>
    field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, ' '.repeat(8)); // the checksum is computed with its own field as spaces
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  field(148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  return header;
}
