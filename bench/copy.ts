/**
 * `copy` throughput: N key-signed images (one 1 MiB incompressible layer each, plus the signature) copied
 * one after the other from the embedded registry to a second embedded registry and, when installed, to
 * the real distribution registry, all on loopback. Every blob crosses registries, so MiB/s is real
 * download + upload; then the same images again, where every blob is already there (HEAD only). Last,
 * one image with a 256 MiB layer, which is streamed: its line gives MiB/s and how far the peak RSS of this
 * process (both registries' handlers included) rose above where it was before that copy.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Digest, sha256Digest } from '../src/core/index.js';
import { copyImage, signImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import {
  type CopyStats,
  emptyCopyStats,
  type ImageReference,
  OCI_CONFIG,
  OCI_LAYER,
  OCI_MANIFEST,
  parseReference,
  pushTestImage,
  RegistryClient,
  startRegistry,
} from '../src/oci/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { formatTiming, measure, memoryLine } from './stats.js';

const IMAGES = 30;
const LAYER_BYTES = 1 << 20;
const LARGE_LAYER_MIB = 256;

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
    const large = await pushLargeImage(client, parseReference(`${source.address}/bench/large:v1`));
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
        await copyLargeImage(
          name,
          client,
          parseReference(`${source.address}/bench/large@${large}`),
          parseReference(`${destination.address}/mirror/large:v1`),
        );
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

/** Copies the large image once, sampling RSS meanwhile, and prints MiB/s and the peak's rise. */
async function copyLargeImage(
  name: string,
  client: RegistryClient,
  source: ImageReference,
  destination: ImageReference,
): Promise<void> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const timing = await measure(1, () => copyImage(client, source, destination));
    const mibPerSecond = LARGE_LAYER_MIB / timing.seconds;
    console.log(
      `${`${name}, one ${LARGE_LAYER_MIB} MiB layer (streamed)`.padEnd(52)} ${mibPerSecond.toFixed(1).padStart(9)} MiB/s   peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (+${((peak - before) / 2 ** 20).toFixed(0)} MiB over before)   (${timing.seconds.toFixed(2)} s)`,
    );
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Pushes an image whose one layer is LARGE_LAYER_MIB of pseudo-random bytes (an AES-CTR key stream), made
 * twice as a stream, once to hash and once to upload, so that the bench itself never holds the layer.
 */
async function pushLargeImage(client: RegistryClient, image: ImageReference): Promise<Digest> {
  const size = LARGE_LAYER_MIB * 2 ** 20;
  const hash = createHash('sha256');
  for await (const chunk of keyStream()) hash.update(chunk);
  const layer = `sha256:${hash.digest('hex')}` as const;
  await client.pushBlobStream(image, layer, size, keyStream());
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  await client.pushBlob(image, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: OCI_LAYER, digest: layer, size }],
  };
  return client.putManifest(image, 'v1', Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
}

function keyStream(): ReadableStream<Uint8Array> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16));
  const zeros = Buffer.alloc(2 ** 20);
  let left = LARGE_LAYER_MIB;
  return new ReadableStream({
    pull(controller) {
      if (left-- === 0) controller.close();
      else controller.enqueue(cipher.update(zeros));
    },
  });
}

function addStats(total: CopyStats, add: CopyStats): void {
  for (const key of Object.keys(total) as (keyof CopyStats)[]) total[key] += add[key];
}
