/**
 * Where the Kubernetes API is and how to authenticate to it: in a pod, the service account that the
 * kubelet mounts (KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount); outside,
 * a kubeconfig file (--kubeconfig, else KUBECONFIG, and for cosign's `k8s://` keys also ~/.kube/config as
 * client-go's default loading rules have it). Of kubeconfig users only bearer tokens and inline
 * client certificates are supported, and of clusters only inline CA data: exec plugins, auth providers and
 * file references are refused by name rather than half-supported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { lazy, loadYaml, loadZod, readUserFile, SigilError } from '../core/index.js';
import type { TlsMaterial } from './transport.js';

export interface KubeConnection {
  /** Base URL of the API server, e.g. https://10.96.0.1:443. */
  server: string;
  /** The controller's namespace: where its Secrets are read from. */
  namespace: string;
  tls: TlsMaterial;
  /** The bearer token for each request; read anew each time, since service account tokens rotate. */
  token?: () => string;
  /** For messages: `in-cluster service account` or the kubeconfig path and context. */
  source: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ConnectionOptions {
  /** --kubeconfig: wins over KUBECONFIG and the in-cluster service account. */
  kubeconfig?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the service account is mounted (tests point it elsewhere). */
  serviceAccountDir?: string;
  /**
   * After KUBECONFIG, try ~/.kube/config when it exists, as cosign does for `k8s://` keys (client-go's
   * default loading rules). The admission controller leaves it off: a server should not pick up a user's
   * kubeconfig from wherever it happens to run.
   */
  homeKubeconfig?: boolean;
  /** The home directory of ~/.kube/config (tests point it elsewhere). */
  homeDir?: string;
}

/** The API to talk to, or undefined when there is none (not in a cluster, no kubeconfig). */
export function resolveKubeConnection(options: ConnectionOptions = {}): KubeConnection | undefined {
  const env = options.env ?? process.env;
  if (options.kubeconfig) return kubeconfigConnection(options.kubeconfig);
  // KUBECONFIG may list several files; the first one is used (no merging).
  const fromEnv = env.KUBECONFIG?.split(':').find((p) => p !== '');
  if (fromEnv) return kubeconfigConnection(fromEnv);
  if (options.homeKubeconfig) {
    const inHome = join(options.homeDir ?? homedir(), '.kube', 'config');
    if (existsSync(inHome)) return kubeconfigConnection(inHome);
  }
  return inClusterConnection(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
}

export function inClusterConnection(env: NodeJS.ProcessEnv, dir: string): KubeConnection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const tokenFile = join(dir, 'token');
  const readToken = () => readUserFile(tokenFile, 'service account token').toString('utf8').trim();
  readToken(); // a pod without a mounted token is a setup error: say so at start, not on first use
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    namespace: readUserFile(join(dir, 'namespace'), 'service account namespace').toString('utf8').trim(),
    tls: { ca: readUserFile(join(dir, 'ca.crt'), 'service account CA') },
    token: readToken,
    source: 'in-cluster service account',
  };
}

const kubeconfigSchema = lazy(() => {
  const { z } = loadZod();
  const named = <T extends z.ZodType>(field: string, shape: T) =>
    z.array(z.object({ name: z.string(), [field]: shape })).optional();
  return z.object({
    'current-context': z.string().optional(),
    contexts: named(
      'context',
      z.object({ cluster: z.string(), user: z.string().optional(), namespace: z.string().optional() }),
    ),
    clusters: named('cluster', z.record(z.string(), z.unknown())),
    users: named('user', z.record(z.string(), z.unknown()).nullable()),
  });
});

const CLUSTER_FIELDS = new Set(['server', 'certificate-authority-data', 'extensions']);
const USER_FIELDS = new Set(['token', 'client-certificate-data', 'client-key-data', 'extensions']);

export function kubeconfigConnection(path: string): KubeConnection {
  let document: unknown;
  try {
    document = loadYaml().parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (err as Error).message.split('\n')[0];
    throw new SigilError('BAD_INPUT', `kubeconfig ${path}: ${reason}`);
  }
  const parsed = kubeconfigSchema().safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SigilError('BAD_INPUT', `kubeconfig ${path}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const config = parsed.data;
  const contextName = config['current-context'];
  if (!contextName) throw new SigilError('BAD_INPUT', `kubeconfig ${path}: no current-context`);
  const context = config.contexts?.find((c) => c.name === contextName)?.context as
    | { cluster: string; user?: string; namespace?: string }
    | undefined;
  if (!context)
    throw new SigilError('BAD_INPUT', `kubeconfig ${path}: context ${contextName} is not defined`);
  const where = `kubeconfig ${path} (context ${contextName})`;
  const cluster = config.clusters?.find((c) => c.name === context.cluster)?.cluster as
    | Record<string, unknown>
    | undefined;
  if (!cluster) throw new SigilError('BAD_INPUT', `${where}: cluster ${context.cluster} is not defined`);
  const user = (config.users?.find((u) => u.name === context.user)?.user ?? {}) as Record<string, unknown>;
  refuseUnsupported(cluster, CLUSTER_FIELDS, `${where}: cluster ${context.cluster}`);
  refuseUnsupported(user, USER_FIELDS, `${where}: user ${context.user ?? ''}`);
  const server = cluster.server;
  if (typeof server !== 'string' || !/^https?:\/\//.test(server)) {
    throw new SigilError('BAD_INPUT', `${where}: cluster ${context.cluster} needs a server URL`);
  }
  const data = (fields: Record<string, unknown>, key: string): Buffer | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new SigilError('BAD_INPUT', `${where}: ${key} must be base64 text`);
    return Buffer.from(value, 'base64');
  };
  const ca = data(cluster, 'certificate-authority-data');
  const cert = data(user, 'client-certificate-data');
  const key = data(user, 'client-key-data');
  if ((cert === undefined) !== (key === undefined)) {
    throw new SigilError('BAD_INPUT', `${where}: client-certificate-data and client-key-data go together`);
  }
  const token = user.token;
  if (token !== undefined && typeof token !== 'string') {
    throw new SigilError('BAD_INPUT', `${where}: token must be a string`);
  }
  return {
    server: server.replace(/\/+$/, ''),
    namespace: context.namespace ?? 'default',
    tls: { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) },
    ...(token ? { token: () => token } : {}),
    source: where,
  };
}

function refuseUnsupported(fields: Record<string, unknown>, supported: Set<string>, where: string): void {
  const other = Object.keys(fields).filter((k) => !supported.has(k));
  if (other.length > 0) {
    throw new SigilError(
      'UNSUPPORTED',
      `${where}: ${other.join(', ')} ${other.length > 1 ? 'are' : 'is'} not supported`,
      'use a token, client-certificate-data/client-key-data and certificate-authority-data',
    );
  }
}
