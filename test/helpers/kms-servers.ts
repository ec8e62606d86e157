/**
 * The local KMS servers the kms-* tests sign through, each started on 127.0.0.1 in a temp dir and stopped
 * by the test: local-kms (the AWS KMS API) and an OpenBao dev server (Vault's transit engine), both pinned
 * peers (test/peers/install.sh local-kms openbao). `env` is what a client (sigil or cosign) needs to reach
 * the server; nothing of the real environment's AWS_* or VAULT_* variables leaks in (runProcess passes
 * only PATH and HOME).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from './peers.js';
import { freePort } from './ports.js';

export interface KmsServer {
  url: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const localKmsPeer = () => requirePeer('local-kms');
export const openBaoPeer = () => requirePeer('openbao', 'bao');

export const LOCAL_KMS_REGION = 'eu-west-1';

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** local-kms on a port it picks (its wrapper prints "listening on HOST:PORT" once bound). */
export async function startLocalKms(binary: string): Promise<KmsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-local-kms-'));
  const child = spawn(binary, [], {
    env: { PATH: process.env.PATH ?? '', KMS_DATA_PATH: join(dir, 'data'), KMS_REGION: LOCAL_KMS_REGION },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const address = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk;
      const m = /listening on (\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`local-kms exited (${code}): ${output.slice(-500)}`)));
  });
  const url = `http://${address}`;
  return {
    url,
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDLOCALKMSTEST',
      AWS_SECRET_ACCESS_KEY: 'local-kms-test-secret',
      AWS_REGION: LOCAL_KMS_REGION,
      AWS_ENDPOINT_URL: url,
    },
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const OPENBAO_ROOT_TOKEN = 'sigil-root-token';

/** An OpenBao dev server (in-memory storage) with the transit engine enabled at `transit/`. */
export async function startOpenBao(binary: string): Promise<KmsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-openbao-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    ['server', '-dev', `-dev-root-token-id=${OPENBAO_ROOT_TOKEN}`, `-dev-listen-address=127.0.0.1:${port}`],
    { env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const headers = { 'X-Vault-Token': OPENBAO_ROOT_TOKEN };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
      const health = await fetch(`${url}/v1/sys/health`).catch(() => undefined);
      if (health?.ok) break;
      if (Date.now() > deadline) throw new Error('not serving after 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const mounted = await fetch(`${url}/v1/sys/mounts/transit`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'transit' }),
    });
    if (!mounted.ok) throw new Error(`enabling transit: ${mounted.status} ${await mounted.text()}`);
  } catch (err) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`OpenBao did not start: ${(err as Error).message}; stderr: ${stderr.slice(-500)}`);
  }
  return {
    url,
    env: { VAULT_ADDR: url, VAULT_TOKEN: OPENBAO_ROOT_TOKEN },
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One call to the Vault HTTP API as root (test setup: policies, tokens, key settings). */
export async function vaultApi(
  server: KmsServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': OPENBAO_ROOT_TOKEN },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
