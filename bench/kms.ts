/**
 * KMS signing: signatures per second through each local server (local-kms for AWS KMS, an OpenBao dev server
 * for Vault transit; Azure and Google through the reference exchanges the tests use, which measure sigil's
 * client and the HTTP round trip only) beside a file key signing in process (the ratio is the cost of the
 * remote call), and the start-up of `sigil verify-blob --key <file>` with the providers installed but unused:
 * CPU, and how many KMS modules it loads (the providers themselves must stay at zero).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, keySigner, kmsSigner, type Signer } from '../src/crypto/index.js';
import { startAzureReference } from '../test/helpers/kms-reference-azure.js';
import { startGcpReference } from '../test/helpers/kms-reference-gcp.js';
import {
  type KmsServer,
  localKmsPeer,
  openBaoPeer,
  startLocalKms,
  startOpenBao,
} from '../test/helpers/kms-servers.js';
import { traceModules } from '../test/helpers/module-trace.js';
import { median, timedRun } from './startup.js';
import { formatTiming, measure } from './stats.js';

const COUNT = 300;
const STARTUP_RUNS = 15;

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function throughput(label: string, signer: Signer, fileRate: number): Promise<void> {
  const data = Buffer.from('benchmark payload');
  const timing = await measure(COUNT, () => signer.sign(data));
  console.log(
    `${formatTiming(label, timing)}   ${(fileRate / timing.perSecond).toFixed(0)}x slower than the file key`,
  );
}

export async function benchKms(): Promise<void> {
  console.log('\n# KMS signing (ECDSA P-256, digest signed remotely), one call in flight');
  const file = keySigner(generateKeyPair('ecdsa-p256').privateKey);
  const fileTiming = await measure(COUNT * 10, () => file.sign(Buffer.from('benchmark payload')));
  console.log(formatTiming('file key, in process', fileTiming));

  const servers: Array<
    [string, { path: string; skip: string | false }, (path: string) => Promise<KmsServer>, string]
  > = [
    ['AWS KMS (local-kms)', localKmsPeer(), startLocalKms, 'awskms:///alias/bench'],
    ['Vault transit (OpenBao dev server)', openBaoPeer(), startOpenBao, 'hashivault://bench'],
  ];
  for (const [label, peer, start, uri] of servers) {
    if (peer.skip) {
      console.log(`${label}: skipped (${peer.skip})`);
      continue;
    }
    const server = await start(peer.path);
    try {
      await withEnv(server.env, async () => {
        const { createKmsKey } = await import('../src/crypto/index.js');
        await createKmsKey(uri);
        await throughput(label, await kmsSigner(uri), fileTiming.perSecond);
      });
    } finally {
      await server.stop();
    }
  }

  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-kms-'));
  try {
    const azure = await startAzureReference(async (pem) => {
      await writeFile(join(dir, 'ca.pem'), pem);
      return join(dir, 'ca.pem');
    });
    const gcp = await startGcpReference();
    await writeFile(join(dir, 'sa.json'), gcp.credentialsJson);
    // Node reads NODE_EXTRA_CA_CERTS only at start, so the Azure reference is measured over plain trust here.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const references: Array<[string, Record<string, string>, string]> = [
        ['Azure Key Vault (reference exchange, HTTPS)', azure.env, `azurekms://${azure.host}/bench`],
        [
          'Google Cloud KMS (reference exchange)',
          { ...gcp.env, GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'sa.json') },
          'gcpkms://projects/p/locations/global/keyRings/bench/cryptoKeys/bench',
        ],
      ];
      for (const [label, env, uri] of references) {
        await withEnv(env, async () => {
          const { createKmsKey } = await import('../src/crypto/index.js');
          await createKmsKey(uri);
          await throughput(label, await kmsSigner(uri), fileTiming.perSecond);
        });
      }
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      await azure.close();
      await gcp.close();
    }

    const key = generateKeyPair('ecdsa-p256');
    const { publicKeyPem } = await import('../src/crypto/index.js');
    await writeFile(join(dir, 'k.pub'), publicKeyPem(key.publicKey));
    await writeFile(join(dir, 'blob'), 'blob');
    await writeFile(
      join(dir, 'blob.sig'),
      (await keySigner(key.privateKey).sign(Buffer.from('blob'))).toString('base64'),
    );
    const args = [
      'verify-blob',
      '--key',
      'k.pub',
      '--signature',
      'blob.sig',
      '--insecure-ignore-tlog',
      'blob',
    ];
    const runs = [];
    for (let i = 0; i < STARTUP_RUNS; i++) runs.push(await timedRun(args, dir));
    const { modules } = await traceModules(args, dir);
    const kmsModules = modules
      .filter((url) => url.includes('/crypto/kms/'))
      .map((url) => url.replace(/.*\//, ''));
    console.log(
      `verify-blob --key <file>: cpu p50 ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms, wall p50 ${median(runs.map((r) => r.wallMs)).toFixed(0)} ms, ${modules.length} modules, of them KMS: ${kmsModules.join(', ') || 'none'}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
