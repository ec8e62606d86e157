/**
 * Image signatures verified per second, for one image carrying 1 and 50 signatures, on the embedded
 * registry and (when installed) the real distribution registry, both on loopback, in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signImage, verifyImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { formatTiming, measure, memoryLine, type Timing } from './stats.js';

const SIGNATURE_COUNTS = [1, 50];
const ROUNDS: Record<number, number> = { 1: 300, 50: 40 };

interface Registry {
  address: string;
  close(): Promise<void>;
}

export async function benchVerifyImage(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-'));
  const registries: [string, () => Promise<Registry>][] = [
    [
      'embedded registry',
      () => startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') }),
    ],
  ];
  if (dockerRegistryInstalled()) registries.push(['distribution 2.8 (docker-registry)', startDockerRegistry]);
  else console.log('(docker-registry is not installed: the distribution registry column is skipped)');

  console.log(
    '\n# verify: one image, key-signed (ECDSA P-256), registry on loopback, --insecure-ignore-tlog',
  );
  const results: Record<string, Record<number, Timing>> = {};
  try {
    for (const [name, start] of registries) {
      const registry = await start();
      try {
        results[name] = await benchOneRegistry(registry.address);
      } finally {
        await registry.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const [name, byCount] of Object.entries(results)) {
    for (const [count, timing] of Object.entries(byCount)) {
      const signaturesPerSecond = (timing.perSecond * Number(count)).toFixed(0);
      console.log(
        `${formatTiming(`${name}, ${count} signature(s): verify calls`, timing)}   = ${signaturesPerSecond} signatures/s`,
      );
    }
  }
  console.log(memoryLine());
}

async function benchOneRegistry(address: string): Promise<Record<number, Timing>> {
  const client = new RegistryClient({});
  const signer = keySigner(generateKeyPair('ecdsa-p256').privateKey);
  const timings: Record<number, Timing> = {};
  for (const count of SIGNATURE_COUNTS) {
    const image = parseReference(`${address}/bench/image-${count}:v1`);
    const digest = await pushTestImage(client, image, {
      files: { 'n.txt': `image with ${count} signatures\n` },
    });
    for (let i = 0; i < count; i++) {
      // Distinct annotations make distinct payloads, so every signature is appended rather than deduplicated.
      await signImage({ client, signer, image: { ...image, digest }, annotations: { n: String(i) } });
    }
    const options = {
      client,
      image: { ...image, digest },
      publicKey: signer.publicKey,
      ignoreTlog: true,
      checkDockerReference: true,
    };
    const check = await verifyImage(options);
    if (check.verified.length !== count)
      throw new Error(`expected ${count} verified signatures, got ${check.verified.length}`);
    timings[count] = await measure(ROUNDS[count] ?? 50, () => verifyImage(options));
  }
  return timings;
}
