/**
 * The real cosign (v2 and v3, built by test/peers/install.sh) run as its users run it: COSIGN_PASSWORD for
 * encrypted keys, HOME and TUF_ROOT inside the test's directory (no real ~/.docker or ~/.sigstore leaks in,
 * and nothing reaches for the public-good TUF repository), and the flags a private deployment needs.
 * Asynchronous for the same reason as cli.ts (runProcess): the tests serve registries from their own process.
 */
import { join } from 'node:path';
import { type CliResult, runProcess } from './cli.js';
import { requirePeer } from './peers.js';

export interface CosignPeer {
  name: 'cosign-v2' | 'cosign-v3';
  major: 2 | 3;
  path: string;
  skip: string | false;
}

/** Both pinned cosigns, each with its skip reason when not installed. */
export function cosignPeers(): CosignPeer[] {
  return [
    { name: 'cosign-v2', major: 2, ...requirePeer('cosign-v2', 'cosign') },
    { name: 'cosign-v3', major: 3, ...requirePeer('cosign-v3', 'cosign') },
  ];
}

export const COSIGN_TEST_PASSWORD = 'interop-password';

export function runCosign(
  peer: CosignPeer,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  return runProcess(peer.path, args, {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: options.cwd,
      TUF_ROOT: join(options.cwd, '.sigstore-tuf'),
      COSIGN_PASSWORD: COSIGN_TEST_PASSWORD,
      ...options.env,
    },
  });
}

/**
 * The flags for signing with a key without the public-good services. cosign v3 reads its service URLs from
 * a signing config (by default the one TUF serves), and refuses --tlog-upload=false or --rekor-url beside
 * it: its users turn that off with --use-signing-config=false (or pass --signing-config).
 */
export function keySigningFlags(peer: CosignPeer, rekorUrl?: string): string[] {
  const log = rekorUrl ? ['--rekor-url', rekorUrl] : ['--tlog-upload=false'];
  return peer.major === 3 ? ['--use-signing-config=false', ...log] : log;
}

/**
 * The flags for verifying what a private log recorded: cosign v2 takes the log key from
 * SIGSTORE_REKOR_PUBLIC_KEY (see `logEnv`), cosign v3 from a trusted root (`cosign trusted-root create`).
 */
export function logVerifyFlags(peer: CosignPeer, trustedRoot: string | undefined): string[] {
  if (!trustedRoot) return ['--insecure-ignore-tlog'];
  return peer.major === 3 ? ['--trusted-root', trustedRoot] : [];
}

/** A trusted root holding only the private log, written by cosign v3's own `trusted-root create`. */
export async function cosignTrustedRoot(
  peer: CosignPeer,
  dir: string,
  log: { url: string; publicKeyFile: string },
): Promise<string> {
  const out = join(dir, 'trusted_root.json');
  const created = await runCosign(
    peer,
    [
      'trusted-root',
      'create',
      '--rekor',
      `url=${log.url},public-key=${log.publicKeyFile},start-time=2024-01-01T00:00:00Z`,
      '--out',
      out,
    ],
    { cwd: dir },
  );
  if (created.code !== 0) throw new Error(`cosign trusted-root create failed: ${created.stderr}`);
  return out;
}
