/**
 * `copy` throughput: N key-signed images (one 1 MiB incompressible layer each, plus the signature) copied
 * one after the other from the embedded registry to a second embedded registry and, when installed, to
 * the real distribution registry, all on loopback. Every blob crosses registries, so MiB/s is real
 * download + upload; then the same images again, where every blob is already there (HEAD only).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../src/core/index.js';
import { copyImage, signImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import {
  type CopyStats,
  emptyCopyStats,
  parseReference,
  pushTestImage,
  RegistryClient,
  startRegistry,
} from '../src/oci/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { formatTiming, measure, memoryLine } from './stats.js';

const IMAGES = 30;
const LAYER_BYTES = 1 << 20;

interface Registry {
  address: string;
  close(): Promise<void>;
}

export async function benchCopy(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-copy-'));
  const client = new RegistryClient({});
  const source = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'source') });
  const destinations: [string, () => Promise<Registry>][] = [
    [
      'embedded -> embedded',
      () => startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'destination') }),
    ],
  ];
  if (dockerRegistryInstalled()) destinations.push(['embedded -> distribution 2.8', startDockerRegistry]);
  else console.log('(docker-registry is not installed: the distribution registry row is skipped)');

  console.log(
    `\n# copy: ${IMAGES} key-signed images (1 MiB layer + signature each), one at a time, registries on loopback`,
  );
  try {
    const images = await pushSignedImages(client, source.address);
    for (const [name, start] of destinations) {
      const destination = await start();
      try {
        for (const pass of ['first copy', 'again (all present)']) {
          const totals = emptyCopyStats();
          const timing = await measure(IMAGES, async (i) => {
            const result = await copyImage(
              client,
              parseReference(`${source.address}/bench/app-${i}@${images[i]}`),
              parseReference(`${destination.address}/mirror/app-${i}:v1`),
            );
            addStats(totals, result.stats);
          });
          const mibPerSecond = totals.bytes / 2 ** 20 / timing.seconds;
          console.log(
            `${formatTiming(`${name}, ${pass}`, timing)}   ${mibPerSecond.toFixed(1)} MiB/s (${totals.blobsCopied} blobs copied, ${totals.blobsPresent} present)`,
          );
        }
      } finally {
        await destination.close();
      }
    }
  } finally {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(memoryLine());
}

async function pushSignedImages(client: RegistryClient, address: string): Promise<Digest[]> {
  const signer = keySigner(generateKeyPair('ecdsa-p256').privateKey);
  const digests: Digest[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const image = parseReference(`${address}/bench/app-${i}:v1`);
    const digest = await pushTestImage(client, image, { files: { 'random.bin': randomBytes(LAYER_BYTES) } });
    await signImage({ client, signer, image: { ...image, digest } });
    digests.push(digest);
  }
  return digests;
}

function addStats(total: CopyStats, add: CopyStats): void {
  for (const key of Object.keys(total) as (keyof CopyStats)[]) total[key] += add[key];
}
