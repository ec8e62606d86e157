/**
 * Runs the built `sigil` binary as a user would. Asynchronous on purpose: tests serve registries from
 * their own process, and a blocking spawn would stop those servers from answering.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIGIL_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sigil.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sigil(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  return runProcess(process.execPath, [SIGIL_BIN, ...args], options);
}

/**
 * Runs a program (sigil, a peer: cosign, kubectl, helm...) to completion with only PATH, HOME and `env` in
 * its environment; never throws on a non-zero exit. HOME is the test's directory (or the temp dir) so that
 * no real ~/.docker/config.json or ~/.kube/config leaks in.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.cwd ?? tmpdir(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
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
    // A fast program (a Go peer) may exit before its stdin is closed: EPIPE then says only that it did not read it.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(options.input ?? '');
  });
}

export function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sigil-test-'));
}

/** The error line the CLI printed: exactly one line starting with `Error:` (a hint line may follow). */
export function errorLine(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
  if (lines.length !== 1) throw new Error(`expected one "Error:" line, got stderr:\n${result.stderr}`);
  return lines[0] as string;
}
