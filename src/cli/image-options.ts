/** Options shared by the commands that read images and their signatures: registry access, the trusted log. */
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { RegistryClient } from '../oci/index.js';
import { RekorClient } from '../tlog/index.js';
import { configuredLogKey } from './log-key.js';
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

/** The log signatures must be recorded in (see configuredLogKey); with --rekor-url, inclusion proofs too. */
export function trustedLog(
  rekorUrl: string | undefined,
  trustedRoot: string | undefined,
): {
  tlog?: { publicKey: KeyObject; client?: RekorClient };
} {
  const { tlogKey } = configuredLogKey(trustedRoot);
  if (!tlogKey) return {};
  return { tlog: { publicKey: tlogKey, ...(rekorUrl ? { client: new RekorClient(rekorUrl) } : {}) } };
}
