/**
 * cosign's root flags (--output-file, -t/--timeout, -d/--verbose), which every cosign command takes. sigil
 * gives them to the commands it shares with cosign only, not as program options: commander would then
 * take a program's --output-file before `sigil sbom --output-file` could have its own.
 */
import { openSync, writeSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { SigilError } from '../core/index.js';
import type { Fetch } from '../oci/index.js';
import { parseBool } from './options.js';
import { info, reportError } from './output.js';

/** The command paths sigil shares with cosign (scripts/cli-parity.ts compares their flags). */
export const COSIGN_COMMANDS = [
  'generate-key-pair',
  'import-key-pair',
  'public-key',
  'sign',
  'verify',
  'attest',
  'verify-attestation',
  'sign-blob',
  'verify-blob',
  'attest-blob',
  'verify-blob-attestation',
  'attach signature',
  'attach attestation',
  'attach sbom',
  'download signature',
  'download attestation',
  'download sbom',
  'tree',
  'triangulate',
  'copy',
  'clean',
  'initialize',
  'version',
] as const;

export interface RootOptions {
  outputFile?: string;
  timeout?: number;
  verbose?: boolean;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`90s`, `3m0s`, `1h30m`, `1.5h`) in milliseconds; it must be positive. */
export function parseGoDuration(value: string): number {
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let match = part.exec(value);
  while (match) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    if (part.lastIndex === value.length) break;
    match = part.exec(value);
  }
  if (!match || part.lastIndex !== value.length || total <= 0) {
    throw new InvalidArgumentError(`expected a positive duration such as 90s, 3m or 1h30m, got "${value}"`);
  }
  return total;
}

export function addCosignRootOptions(program: Command): void {
  for (const path of COSIGN_COMMANDS) {
    const command = path
      .split(' ')
      .reduce<Command | undefined>(
        (parent, name) => parent?.commands.find((c) => c.name() === name),
        program,
      );
    // Only the invoked command's group is registered (see command-groups.ts); test/cli/cosign-root-flags
    // checks that every path here exists once all groups are.
    if (!command) continue;
    command
      .option('--output-file <file>', 'write what the command prints on stdout to this file instead')
      .option(
        '-t, --timeout <duration>',
        'fail the command when it has not finished after this long (90s, 3m, 1h30m); no limit by default',
        parseGoDuration,
      )
      .option('-d, --verbose [bool]', 'log every registry request and its answer on stderr', parseBool, false)
      .hook('preAction', (_parent, running) => {
        try {
          applyRootOptions(running.opts<RootOptions>(), running.name());
        } catch (err) {
          reportError(err, 'text');
          process.exit(1);
        }
      });
  }
}

function applyRootOptions(opts: RootOptions, name: string): void {
  if (opts.outputFile) redirectStdout(opts.outputFile);
  if (opts.timeout) {
    const ms = opts.timeout;
    // unref: a command that finishes in time exits at once instead of waiting for the timer.
    setTimeout(() => {
      reportError(
        new SigilError('TIMEOUT', `${name} did not finish within ${ms / 1000}s (--timeout)`),
        'text',
      );
      process.exit(1);
    }, ms).unref();
  }
}

/** cosign's --output-file: the file (created or truncated) takes everything the command prints on stdout. */
function redirectStdout(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (err) {
    throw new SigilError('IO_ERROR', `cannot create --output-file ${file}: ${(err as Error).message}`);
  }
  // Synchronous writes: nothing is left buffered when the command exits.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    callback?.();
    return true;
  }) as typeof process.stdout.write;
}

/** -d/--verbose: a fetch that logs each request's method and URL, and its status, on stderr. */
export function loggingFetch(inner: Fetch): Fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const url = input instanceof Request ? input.url : input.toString();
    info(`--> ${method} ${url}`);
    try {
      const response = await inner(input, init);
      info(`<-- ${response.status} ${method} ${url}`);
      return response;
    } catch (err) {
      info(`<-- failed ${method} ${url}: ${(err as Error).message}`);
      throw err;
    }
  }) as Fetch;
}
