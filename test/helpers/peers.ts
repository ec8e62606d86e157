/**
 * Real peers (the distribution registry, PostgreSQL, SoftHSM2, ...) may be missing when a developer runs
 * the tests by hand: then the tests that need them skip, loudly. In CI (CI=true) a missing peer is a failure,
 * because CI installs every peer and a silent skip would hide a broken install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Returns a skip reason for node:test's `skip` option, or false when the peer is there. */
export function peerMissing(peer: string, available: boolean): string | false {
  if (available) return false;
  const reason = `PEER MISSING: ${peer} is not installed (see .ci/run); these interop tests did not run`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true requires it`);
  process.stderr.write(`\n*** ${reason} ***\n`);
  return reason;
}

/**
 * The tools test/peers/install.sh builds (cosign, rekor-cli, sigstore-python, ...) live in a cache outside
 * the clone, one folder per pinned version: <SIGIL_PEERS_DIR or ~/.cache/sigil/peers>/<name>-<version>/bin.
 * The versions come from test/peers/versions.env, the one place they are pinned.
 */
export const PEERS_DIR = process.env.SIGIL_PEERS_DIR ?? join(homedir(), '.cache', 'sigil', 'peers');

const VERSIONS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers', 'versions.env');

/** KEY=VALUE lines of versions.env (comments and blank lines skipped). */
export function peerVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)/.exec(line.trim());
    if (match) versions[match[1] as string] = match[2] as string;
  }
  return versions;
}

/** The version pinned for a peer: its name upper-cased with dashes as underscores (cosign-v3 → COSIGN_V3). */
export function peerVersion(name: string): string {
  const key = name.toUpperCase().replaceAll('-', '_');
  const version = peerVersions()[key];
  if (!version) throw new Error(`test/peers/versions.env pins no ${key}`);
  return version;
}

/** The path of one of a peer's binaries, or undefined when install.sh has not installed it. */
export function peerBinary(name: string, binary: string = name): string | undefined {
  const path = join(PEERS_DIR, `${name}-${peerVersion(name)}`, 'bin', binary);
  return existsSync(path) ? path : undefined;
}

/**
 * A peer's binary, with the skip reason when missing (see peerMissing): `const cosign = requirePeer(...)`,
 * then `{ skip: cosign.skip }` on the suite and `cosign.path` inside it.
 */
export function requirePeer(
  name: string,
  binary: string = name,
): { path: string; skip: string | false } {
  const path = peerBinary(name, binary);
  const skip = peerMissing(
    `${name} ${peerVersion(name)} (bash test/peers/install.sh ${name})`,
    path !== undefined,
  );
  return { path: path ?? binary, skip };
}
