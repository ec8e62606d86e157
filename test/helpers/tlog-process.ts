/** `sigil tlog serve` as a separate process, so tests can kill it (-9) like a crash would. */
import { type ChildProcess, spawn } from 'node:child_process';
import { SIGIL_BIN } from './cli.js';
import { freePort } from './ports.js';

export interface TlogProcess {
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startTlogProcess(
  dataDir: string,
  extra: string[] = [],
  port?: number,
): Promise<TlogProcess> {
  const listenPort = port ?? (await freePort());
  const url = `http://127.0.0.1:${listenPort}`;
  const child = spawn(
    process.execPath,
    [SIGIL_BIN, 'tlog', 'serve', '--addr', `127.0.0.1:${listenPort}`, '--data-dir', dataDir, ...extra],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  // A start-up bound, not a timing: generous, since chaos runs start replicas on a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sigil tlog serve exited ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/api/v1/log`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`sigil tlog serve did not answer: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
