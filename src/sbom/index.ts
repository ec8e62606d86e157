/**
 * SBOM generation: builds an image's (or directory's) final file view from its layers, runs the package
 * catalogers on it and writes SPDX 2.3 or CycloneDX 1.6 JSON.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SigilError } from '../core/index.js';
import {
  formatReference,
  isIndex,
  OCI_LAYER,
  OCI_LAYER_GZIP,
  type Platform,
  parseReference,
  type RegistryClient,
} from '../oci/index.js';
import { catalogAll, catalogContent } from './catalogers.js';
import { applyLayerStream } from './layer-stream.js';
import type { FileView, SbomPackage } from './model.js';
import { type SbomFormat, writeSbom } from './writers.js';

export type { SbomPackage } from './model.js';
export { readTar, type TarEntry } from './tar.js';
export { SBOM_FORMATS, type SbomFormat, type SbomSubject, writeSbom } from './writers.js';

const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
const GZIP_LAYERS = new Set([OCI_LAYER_GZIP, DOCKER_LAYER_GZIP]);
const TAR_LAYERS = new Set([OCI_LAYER, DOCKER_LAYER]);

export interface SbomResult {
  document: string;
  packages: SbomPackage[];
  bytesScanned: number;
  /** Package data that was found but not cataloged (e.g. a Berkeley DB rpmdb): the SBOM is incomplete. */
  warnings: string[];
}

export interface ImageSbomOptions {
  client: RegistryClient;
  platform?: Platform;
}

/** Resolves the image (choosing a platform from an index) and builds its file view, layer by layer. */
async function imageView(imageRef: string, options: ImageSbomOptions) {
  const ref = parseReference(imageRef);
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  let fetched = await options.client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
  if (isIndex(fetched.manifest)) {
    const digest = await options.client.resolvePlatform(ref, fetched.digest, platform);
    fetched = await options.client.getManifest(ref, digest);
  }
  if (isIndex(fetched.manifest))
    throw new SigilError('BAD_MANIFEST', `${imageRef}: index points to another index`);
  const view: FileView = new Map();
  let bytesScanned = 0;
  for (const layer of fetched.manifest.layers) {
    const where = `layer ${layer.digest}`;
    if (!GZIP_LAYERS.has(layer.mediaType) && !TAR_LAYERS.has(layer.mediaType)) {
      throw new SigilError('UNSUPPORTED', `${where}: unsupported layer media type "${layer.mediaType}"`);
    }
    const { stream } = await options.client.getBlobStream(ref, layer.digest, layer.size);
    const gzip = GZIP_LAYERS.has(layer.mediaType);
    bytesScanned += await applyLayerStream(
      view,
      stream,
      { digest: layer.digest, size: layer.size, gzip },
      where,
    );
  }
  return { view, digest: fetched.digest, name: formatReference(ref), bytesScanned };
}

export async function generateSbom(
  imageRef: string,
  format: SbomFormat,
  options: ImageSbomOptions,
): Promise<SbomResult> {
  const { view, digest, name, bytesScanned } = await imageView(imageRef, options);
  const { packages, warnings } = catalogAll(view);
  return { document: writeSbom(format, { name, digest }, packages), packages, bytesScanned, warnings };
}

/** Walks a root filesystem directory; symlinks are not followed, so nothing outside the root is read. */
function directoryView(root: string): { view: FileView; bytesScanned: number } {
  const view: FileView = new Map();
  let bytesScanned = 0;
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new SigilError('IO_ERROR', `${dir}: cannot read directory (${(err as Error).message})`);
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const path = relative(root, full);
        const data = readFileSync(full);
        bytesScanned += data.length;
        const kept = catalogContent(path, data);
        if (kept) view.set(path, kept);
      }
    }
  };
  walk(root);
  return { view, bytesScanned };
}

export function generateSbomForDirectory(root: string, format: SbomFormat): SbomResult {
  const { view, bytesScanned } = directoryView(root);
  const { packages, warnings } = catalogAll(view);
  return { document: writeSbom(format, { name: root }, packages), packages, bytesScanned, warnings };
}
