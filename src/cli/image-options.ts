/** Options shared by the commands that read images and their signatures: registry access, the trusted log. */
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { RegistryClient } from '../oci/index.js';
import { RekorClient } from '../tlog/index.js';
import { loadVerificationKey } from './keys.js';
import { parseBool } from './options.js';

export interface RegistryOptions {
  allowInsecureRegistry: boolean;
}

export function addInsecureRegistryOption(command: Command): Command {
  return command.option(
    '--allow-insecure-registry [bool]',
    'allow plain-HTTP registries other than loopback',
    parseBool,
    false,
  );
}

export function registryClient(opts: RegistryOptions): RegistryClient {
  return new RegistryClient({ insecure: opts.allowInsecureRegistry });
}

/**
 * The log signatures must be recorded in: its public key from SIGSTORE_REKOR_PUBLIC_KEY (cosign's variable
 * for private deployments), never fetched from the log itself; with --rekor-url, inclusion proofs too.
 */
export function trustedLog(rekorUrl: string | undefined): {
  tlog?: { publicKey: KeyObject; client?: RekorClient };
} {
  const keyFile = process.env.SIGSTORE_REKOR_PUBLIC_KEY;
  if (!keyFile) return {};
  const publicKey = loadVerificationKey(keyFile);
  return { tlog: { publicKey, ...(rekorUrl ? { client: new RekorClient(rekorUrl) } : {}) } };
}
