/**
 * The real cosign (test/peers/install.sh builds v2 and v3) run as a user runs it, for the attestation and
 * artifact interop tests: HOME and TUF_ROOT inside the test's directory (no real ~/.docker or ~/.sigstore
 * leaks in), an empty COSIGN_PASSWORD for the keys `cosign generate-key-pair` wrote there, and plain HTTP
 * allowed for the loopback registries. Asynchronous, as cli.ts: tests may serve registries in-process.
 */
import { join } from 'node:path';
import { type CliResult, runProcess } from './cli.js';

/**
 * Key-signing flags of cosign v3 without the public-good services: no TUF signing config, and either no
 * log or `rekorUrl`. (v3 refuses --tlog-upload=false unless --use-signing-config=false; v2 knows neither
 * the signing config nor a reason to need it, so it gets only the log flag.)
 */
export function keySigningFlags(major: 2 | 3, rekorUrl?: string): string[] {
  const log = rekorUrl ? ['--rekor-url', rekorUrl] : ['--tlog-upload=false'];
  return major === 3 ? ['--use-signing-config=false', ...log] : log;
}

export function runCosign(
  path: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  return runProcess(path, args, {
    cwd: options.cwd,
    env: {
      HOME: options.cwd,
      TUF_ROOT: join(options.cwd, '.sigstore-tuf'),
      COSIGN_PASSWORD: '',
      ...options.env,
    },
  });
}

/** `attest` with the key `cosign.key` (both tools take the same flags). */
export function attestArgs(type: string, predicate: string): string[] {
  return ['attest', '--key', 'cosign.key', '--type', type, '--predicate', predicate];
}

/** The in-toto statements in cosign's (or sigil's) verify-attestation output: one DSSE envelope a line. */
export function printedStatements(stdout: string): { predicateType: string; predicate: unknown }[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(Buffer.from(JSON.parse(line).payload, 'base64').toString('utf8')));
}
