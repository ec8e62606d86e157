/**
 * Runs a real peer (cosign, sigstore-python, rekor-cli) as a child process, asynchronously: the tests
 * serve sigil's stack from their own process, and a blocking spawn would stop it from answering.
 * HOME is the test's directory so that the peer's caches (~/.sigstore TUF roots) stay inside it.
 */
import { spawn } from 'node:child_process';
import type { CliResult } from './cli.js';

export function runPeer(
  binary: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
