/**
 * Registry clients for Kyverno's imageRegistryCredentials: per verification, which credentials reach the
 * registries of its images and signatures, and whether plain HTTP is allowed. As in Kyverno, pull Secrets
 * come first, then the providers; with neither, the controller's own docker config. Secrets are read through
 * the caller's reader (the Kubernetes API) and kept briefly, so admission does not call the API each time.
 */
import { isRecord, parseJson, SigilError } from '../core/index.js';
import {
  authsCredentials,
  type Credential,
  type CredentialStore,
  DockerConfigCredentials,
  RegistryClient,
} from '../oci/index.js';
import type { RegistryCredentials } from './model.js';

/** A Secret as the Kubernetes API returns it: `data` values are base64. */
export interface PullSecret {
  type?: string;
  data?: Record<string, string>;
}

/** Reads a Secret of the controller's namespace by name. */
export type SecretReader = (name: string) => Promise<PullSecret>;

export interface RegistryClientFactoryOptions {
  /** --allow-insecure-registry: every client may fall back to plain HTTP. */
  insecure: boolean;
  /** The `default` provider; the controller's docker config unless given. */
  defaultCredentials?: CredentialStore;
  /** Absent when there is no Kubernetes API: then rules naming secrets fail with a reason. */
  readSecret?: SecretReader;
  /** How long a Secret read is reused. */
  secretTtlMs?: number;
}

export type RegistryClientFactory = (credentials: RegistryCredentials) => RegistryClient;

const SECRET_TTL_MS = 30_000;

export function registryClientFactory(options: RegistryClientFactoryOptions): RegistryClientFactory {
  const defaults = options.defaultCredentials ?? new DockerConfigCredentials();
  const secrets = secretCredentials(options.readSecret, options.secretTtlMs ?? SECRET_TTL_MS);
  // One client per distinct setting, so registry tokens are reused across requests.
  const clients = new Map<string, RegistryClient>();
  return (credentials) => {
    const key = JSON.stringify(credentials);
    let client = clients.get(key);
    if (!client) {
      const stores = [...credentials.secrets.map(secrets), ...credentials.providers.map(() => defaults)];
      client = new RegistryClient({
        insecure: options.insecure || credentials.allowInsecureRegistry,
        credentials: stores.length > 0 ? firstOf(stores) : defaults,
      });
      clients.set(key, client);
    }
    return client;
  };
}

/** The first store that knows the registry answers. */
function firstOf(stores: CredentialStore[]): CredentialStore {
  return {
    get: async (registry) => {
      for (const store of stores) {
        const credential = await store.get(registry);
        if (credential) return credential;
      }
      return undefined;
    },
  };
}

/** A store per Secret name; each Secret read is shared and reused for `ttlMs` (failures are not kept). */
function secretCredentials(
  readSecret: SecretReader | undefined,
  ttlMs: number,
): (name: string) => CredentialStore {
  const cache = new Map<string, { store: Promise<CredentialStore>; expires: number }>();
  const load = (name: string): Promise<CredentialStore> => {
    const cached = cache.get(name);
    if (cached && cached.expires > Date.now()) return cached.store;
    if (!readSecret) {
      return Promise.reject(
        new SigilError(
          'UNSUPPORTED',
          `imageRegistryCredentials secret ${name} cannot be read: there is no Kubernetes API`,
          'run in a cluster or pass --kubeconfig',
        ),
      );
    }
    const store = readSecret(name).then((secret) => pullSecretCredentials(secret, name));
    cache.set(name, { store, expires: Date.now() + ttlMs });
    store.catch(() => cache.delete(name));
    return store;
  };
  return (name) => ({
    get: async (registry): Promise<Credential | undefined> => (await load(name)).get(registry),
  });
}

/** kubernetes.io/dockerconfigjson (`.dockerconfigjson`: a docker config) or the older dockercfg (its `auths`). */
export function pullSecretCredentials(secret: PullSecret, name: string): CredentialStore {
  const where = `imageRegistryCredentials secret ${name}`;
  const field = (key: string) => {
    const value = secret.data?.[key];
    if (value === undefined) throw new SigilError('BAD_INPUT', `${where}: has no ${key} key`);
    return parseJson(Buffer.from(value, 'base64').toString('utf8'), `${where} ${key}`);
  };
  if (secret.type === 'kubernetes.io/dockerconfigjson')
    return authsCredentials(field('.dockerconfigjson'), where);
  if (secret.type === 'kubernetes.io/dockercfg') {
    const auths = field('.dockercfg');
    if (!isRecord(auths)) throw new SigilError('BAD_INPUT', `${where}: .dockercfg is not a JSON object`);
    return authsCredentials({ auths }, where);
  }
  throw new SigilError(
    'BAD_INPUT',
    `${where} is of type ${secret.type ?? '(none)'}, not kubernetes.io/dockerconfigjson`,
    'create it with kubectl create secret docker-registry',
  );
}
