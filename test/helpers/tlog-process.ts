/** `sigil tlog serve` as a separate process, so tests can kill it (-9) like a crash would. */
import { type ChildProcess, spawn } from 'node:child_process';
import { SIGIL_BIN } from './cli.js';

export interface TlogProcess {
  url: string;
  child: ChildProcess;
  /** What it printed on stderr so far (for a failure's message). */
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `sigil tlog serve` on `port`, or on a port the system picks (read back from the line it prints),
 * so that processes started at once by concurrent tests never race for a port one of them checked free.
 */
export async function startTlogProcess(
  dataDir: string,
  extra: string[] = [],
  port = 0,
): Promise<TlogProcess> {
  const child = spawn(
    process.execPath,
    [SIGIL_BIN, 'tlog', 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, ...extra],
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
  let url: string | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sigil tlog serve exited ${child.exitCode}: ${stderr}`);
    url ??= /listening on (http:\/\/[^ ]+)/.exec(stderr)?.[1];
    try {
      if (url && (await fetch(`${url}/api/v1/log`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`sigil tlog serve did not answer: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    stderr: () => stderr,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Whether the replica at `url` integrates the log (its /healthz says so); false when it does not answer. */
export async function isIntegratingReplica(url: string): Promise<boolean> {
  try {
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return ((await health.json()) as { integrating: boolean }).integrating;
  } catch {
    return false;
  }
}
