/** What the policy engine needs from the command line: registry access, the trusted root, the log key, reports. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../core/index.js';
import {
  buildPolicyReport,
  type PolicyReport,
  type PolicyResult,
  type VerifierContext,
} from '../policy/index.js';
import { registryClient } from './image-options.js';
import { configuredTrustedRoot } from './keyless.js';
import { loadVerificationKey } from './keys.js';
import { parseBool } from './options.js';

export interface PolicyContextOptions {
  trustedRoot?: string;
  allowInsecureRegistry: boolean;
}

export function addPolicyContextOptions(command: Command): Command {
  return command
    .option(
      '--trusted-root <file>',
      'trusted_root.json for keyless attestors (default: $SIGIL_TRUSTED_ROOT, else .sigil/trusted_root.json)',
    )
    .option(
      '--allow-insecure-registry [bool]',
      'allow plain-HTTP registries other than loopback',
      parseBool,
      false,
    );
}

export function verifierContext(opts: PolicyContextOptions): VerifierContext {
  const root = configuredTrustedRoot(opts.trustedRoot);
  const logKey = process.env.SIGSTORE_REKOR_PUBLIC_KEY;
  return {
    client: registryClient(opts),
    ...(root ? { trustedRoot: root } : {}),
    ...(logKey ? { rekorPublicKey: loadVerificationKey(logKey) } : {}),
  };
}

export interface ReviewedResource {
  kind: { group: string; version: string; kind: string };
  name?: string | undefined;
  namespace?: string | undefined;
  object?: Record<string, unknown> | null | undefined;
}

export function reportFor(resource: ReviewedResource, results: PolicyResult[]): PolicyReport {
  const { group, version, kind } = resource.kind;
  const metadata = (resource.object?.metadata ?? {}) as { name?: string; uid?: string };
  return buildPolicyReport(
    {
      apiVersion: group ? `${group}/${version}` : version,
      kind,
      name: resource.name || metadata.name || '',
      ...(resource.namespace ? { namespace: resource.namespace } : {}),
      ...(metadata.uid ? { uid: metadata.uid } : {}),
    },
    results,
  );
}

/** One YAML file per report in `dir`, written atomically so a reader never sees half a report. */
export async function saveReport(dir: string, report: PolicyReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${report.metadata.namespace ?? 'cluster'}-${report.metadata.name}.yaml`);
  await writeFileAtomic(file, stringify(report, { lineWidth: 0 }));
  return file;
}
