/** What the policy engine needs from the command line: registry access, the trusted root, the log key, reports. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import { SigilError, writeFileAtomic } from '../core/index.js';
import { KubeClient, readKeySecret, resolveKubeConnection } from '../kube/index.js';
import {
  buildPolicyReport,
  type EvaluationOptions,
  loadPolicies,
  NO_MATCH_POLICIES,
  type NoMatchPolicy,
  type PolicyReport,
  type PolicyResult,
  type PolicySet,
  type ResourceRequest,
  registryClientFactory,
  type SecretReader,
} from '../policy/index.js';
import { registryClient } from './image-options.js';
import { configuredTrustedRoot } from './keyless.js';
import { loadVerificationKey } from './keys.js';
import { parseBool } from './options.js';
import { warn } from './output.js';

export interface PolicyContextOptions {
  trustedRoot?: string;
  allowInsecureRegistry: boolean;
  /** Unset: the evaluation's default (deny). */
  cipNoMatch?: NoMatchPolicy;
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
    )
    .option(
      // Not --no-match-policy, the policy-controller's key: commander reads --no-* as a negated boolean.
      '--cip-no-match <allow|warn|deny>',
      "with ClusterImagePolicies loaded, what happens to an image none of them matches (the policy-controller's no-match-policy)",
      parseNoMatchPolicy,
      'deny',
    );
}

function parseNoMatchPolicy(value: string): NoMatchPolicy {
  const policy = NO_MATCH_POLICIES.find((p) => p === value);
  if (!policy) throw new InvalidArgumentError(`must be one of ${NO_MATCH_POLICIES.join(', ')}`);
  return policy;
}

/**
 * With the Kubernetes API (`kube`), imageRegistryCredentials read the controller's pull Secrets and
 * `k8s://` attestor keys their Secrets; without it, both are errors when a policy uses them.
 * `pullSecrets` (Kyverno's --imagePullSecrets) reach every registry, before the docker config.
 */
export function verifierContext(
  opts: PolicyContextOptions,
  kube?: KubeClient,
  pullSecrets: string[] = [],
): Omit<EvaluationOptions, 'endpoint'> {
  const root = configuredTrustedRoot(opts.trustedRoot);
  const logKey = process.env.SIGSTORE_REKOR_PUBLIC_KEY;
  const clientFor = registryClientFactory({
    insecure: opts.allowInsecureRegistry,
    ...(kube ? { readSecret: secretReader(kube) } : {}),
  });
  return {
    client:
      pullSecrets.length > 0
        ? clientFor({ allowInsecureRegistry: false, providers: ['default'], secrets: pullSecrets })
        : // Kyverno's allowInsecureRegistry, as the policies' own: plain HTTP allowed, not cosign's TLS meaning.
          registryClient({ allowInsecureRegistry: false, allowHttpRegistry: opts.allowInsecureRegistry }),
    clientFor,
    ...(opts.cipNoMatch ? { noMatchPolicy: opts.cipNoMatch } : {}),
    ...(root ? { trustedRoot: root } : {}),
    ...(logKey ? { rekorPublicKey: loadVerificationKey(logKey) } : {}),
    ...(kube
      ? { readKeySecret: async (ref) => (await readKeySecret(kube, ref, ['publicKeyPem'])).publicKeyPem }
      : {}),
  };
}

/** The Kubernetes API of --kubeconfig, KUBECONFIG or the pod's service account; undefined outside a cluster. */
export function kubeClient(kubeconfig: string | undefined): KubeClient | undefined {
  const connection = resolveKubeConnection(kubeconfig ? { kubeconfig } : {});
  return connection ? new KubeClient(connection) : undefined;
}

/** imageRegistryCredentials secrets live in the controller's own namespace, as in Kyverno. */
function secretReader(kube: KubeClient): SecretReader {
  return (name) => kube.getSecret(kube.namespace, name);
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

/** A manifest from a file as the request the API server would send to create it. */
export function resourceRequest(document: unknown, where: string): ResourceRequest {
  const object = document as Record<string, unknown>;
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (!apiVersion || !kind)
    throw new SigilError('BAD_INPUT', `${where}: a resource needs apiVersion and kind`);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    kind: { group: group ?? '', version: version ?? '', kind },
    operation: 'CREATE',
    namespace: metadata.namespace ?? 'default',
    name: metadata.name ?? '',
    object,
  };
}

/** Loads policies and says, one warning line each, which of their rules sigil does not enforce. */
export function loadPoliciesWarning(paths: string[]): PolicySet {
  const set = loadPolicies(paths);
  for (const line of set.policies.flatMap((p) => p.warnings)) warn(line);
  return set;
}
