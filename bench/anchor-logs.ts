/**
 * The transparency logs that bench tlog measures sigil's log beside, started as processes on loopback from
 * the binaries test/peers/install.sh builds: Tessera's POSIX conformance server (raw leaves over `POST /add`)
 * and rekor-tiles, Rekor v2 on Tessera's POSIX driver (signed entries over `POST /api/v2/log/entries`).
 * Each starts in a fresh temp directory, which `stop` removes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../src/core/index.js';
import { peerBinary, peerVersion } from '../test/helpers/peers.js';
import { freePort } from '../test/helpers/ports.js';

export interface AnchorLog {
  url: string;
  stop(): Promise<void>;
}

/** Why a peer cannot be measured (not installed), or undefined when its binary is there. */
export function anchorMissing(name: 'tessera' | 'rekor-tiles'): string | undefined {
  const binary = name === 'tessera' ? 'tessera-posix' : 'rekor-server-posix';
  return peerBinary(name, binary)
    ? undefined
    : `${name} ${peerVersion(name)} is not installed (bash test/peers/install.sh ${name})`;
}

/**
 * A signed-note (C2SP) Ed25519 private key string, the form Tessera's checkpoint signer reads:
 * PRIVATE+KEY+<name>+<key hash>+<base64(0x01 ‖ seed)>, the key hash being the first four bytes of
 * SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
 */
export function noteSignerKey(name: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const ed25519 = Buffer.from([0x01]);
  const hash = sha256(Buffer.concat([Buffer.from(`${name}\n`), ed25519, pub])).subarray(0, 4);
  return `PRIVATE+KEY+${name}+${hash.toString('hex')}+${Buffer.concat([ed25519, seed]).toString('base64')}`;
}

/**
 * Tessera's conformance server: it batches (256 entries or 1 s) and publishes a checkpoint every second,
 * both fixed in its main.go.
 */
export async function startTessera(): Promise<AnchorLog> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-tessera-'));
  const port = await freePort();
  const child = spawn(
    peerBinary('tessera', 'tessera-posix') as string,
    ['--storage_dir', join(dir, 'log'), '--listen', `127.0.0.1:${port}`],
    {
      env: { LOG_PRIVATE_KEY: noteSignerKey('bench.sigil.local/tessera') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return running(child, dir, `http://127.0.0.1:${port}`, '/checkpoint');
}

/**
 * rekor-tiles on its POSIX backend. Its checkpoint interval is set to Tessera's conformance value (1 s;
 * rekor-tiles' own default is 10 s): it answers a write only once a published checkpoint covers the entry.
 */
export async function startRekorTiles(): Promise<AnchorLog> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-rekor-tiles-'));
  const keyFile = join(dir, 'signer.pem');
  const { privateKey } = generateKeyPairSync('ed25519');
  await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    peerBinary('rekor-tiles', 'rekor-server-posix') as string,
    [
      'serve',
      '--hostname=bench.sigil.local',
      `--storage-dir=${join(dir, 'log')}`,
      `--signer-filepath=${keyFile}`,
      '--http-address=127.0.0.1',
      `--http-port=${http}`,
      '--grpc-address=127.0.0.1',
      `--grpc-port=${grpc}`,
      `--http-metrics-port=${metrics}`,
      '--checkpoint-interval=1s',
      '--log-level=warn',
    ],
    { env: { HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return running(child, dir, `http://127.0.0.1:${http}`, '/healthz');
}

async function running(child: ChildProcess, dir: string, url: string, readyPath: string): Promise<AnchorLog> {
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }).then(() => rm(dir, { recursive: true, force: true }));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${child.spawnfile} exited ${child.exitCode}: ${stderr}`);
    }
    try {
      if ((await fetch(`${url}${readyPath}`)).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${child.spawnfile} did not answer ${readyPath} within 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
