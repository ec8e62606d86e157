/**
 * Real peers (the distribution registry, PostgreSQL, SoftHSM2, ...) may be missing when a developer runs
 * the tests by hand: then the tests that need them skip, loudly. In CI (CI=true) a missing peer is a failure,
 * because CI installs every peer and a silent skip would hide a broken install.
 */
import { execFileSync } from 'node:child_process';

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
