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
  // HOME points at the test's directory so that no real ~/.docker/config.json leaks in.
  return runProcess(process.execPath, [SIGIL_BIN, ...args], {
    ...options,
    env: { PATH: process.env.PATH ?? '', HOME: options.cwd ?? tmpdir(), ...options.env },
  });
}

/** Runs a program to its end with exactly the given environment, collecting its output. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; input?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
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
