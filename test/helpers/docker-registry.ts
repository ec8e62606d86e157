/**
 * The real distribution registry (Debian's `docker-registry`, distribution 2.8) as a peer: started on a
 * free loopback port with a throw-away storage directory, deletes enabled, and stopped afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandExists } from './peers.js';
import { freePort } from './ports.js';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

export function dockerRegistryInstalled(): boolean {
  return commandExists(DOCKER_REGISTRY);
}

export interface PeerRegistry {
  url: string;
  address: string;
  close(): Promise<void>;
}

export async function startDockerRegistry(): Promise<PeerRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-distribution-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const child = spawn(DOCKER_REGISTRY, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = `http://${address}`;
  try {
    await waitUntilServing(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `docker-registry did not start: ${(err as Error).message}; stderr: ${stderr.slice(-500)}`,
    );
  }
  return {
    url,
    address,
    close: async () => {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/v2/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no answer on /v2/ within 10 s');
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
