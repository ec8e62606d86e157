/**
 * A real Debian bookworm root filesystem built by debootstrap, cached across runs (building takes minutes),
 * and a helper that pushes a directory as a single-layer OCI image. Used by the SBOM cross-check and bench.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, type Digest, sha256Digest } from '../../src/core/index.js';
import {
  type ImageReference,
  manifestReference,
  OCI_CONFIG,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  type RegistryClient,
} from '../../src/oci/index.js';
import { commandExists } from './peers.js';

const CACHE = process.env.SIGIL_SBOM_CACHE ?? join(tmpdir(), 'sigil-sbom-cache');
const MIRROR = process.env.SIGIL_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** The cached rootfs, building it first when absent; undefined when debootstrap is missing or fails. */
export function debianRootfs(): string | undefined {
  const dir = join(CACHE, 'bookworm');
  if (existsSync(join(dir, 'var/lib/dpkg/status'))) return dir;
  if (!commandExists('debootstrap')) return undefined;
  const partial = `${dir}.partial`;
  mkdirSync(CACHE, { recursive: true });
  rmSync(partial, { recursive: true, force: true });
  try {
    execFileSync('debootstrap', ['--variant=minbase', 'bookworm', partial, MIRROR], { stdio: 'ignore' });
  } catch (err) {
    process.stderr.write(`\n*** debootstrap failed: ${(err as Error).message} ***\n`);
    return undefined;
  }
  renameSync(partial, dir);
  return dir;
}

/** Packs `dir` with the system tar (owners numeric, so no host lookups) and pushes it as one gzip layer. */
export async function pushDirectoryImage(
  client: RegistryClient,
  ref: ImageReference,
  dir: string,
): Promise<Digest> {
  const layer = execFileSync('tar', ['--numeric-owner', '-C', dir, '-czf', '-', '.'], {
    maxBuffer: 2 ** 31,
  });
  const config = Buffer.from(
    canonicalJson({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [] },
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
  await client.pushBlob(ref, layer);
  await client.pushBlob(ref, config);
  return client.putManifest(ref, manifestReference(ref), manifest, OCI_MANIFEST);
}
