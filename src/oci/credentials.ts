/**
 * Registry credentials where docker, podman and cosign users keep them: REGISTRY_AUTH_FILE, else
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json, else the containers auth.json; `auths` entries
 * (base64 `auth`, username/password, identitytoken) and credential helpers (`credHelpers`, `credsStore`).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isRecord, parseJson, SigilError } from '../core/index.js';

/**
 * Basic credentials; an identity token (an OAuth2 refresh token, exchanged at the token realm); or a
 * registry token, a bearer token sent as is (cosign's --registry-token).
 */
export type Credential =
  | { username: string; password: string }
  | { identityToken: string }
  | { registryToken: string };

export interface CredentialStore {
  get(registry: string): Promise<Credential | undefined>;
}

/** Docker Hub is filed under its v1 URL in docker's config; all its names mean the same registry. */
const DOCKER_HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
];
const HELPER_TIMEOUT_MS = 30_000;

export function authFilePaths(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const dockerDir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  const paths = [join(dockerDir, 'config.json')];
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  return paths;
}

/** The credential store of the user's config files; files are read once, on first use. */
export class DockerConfigCredentials implements CredentialStore {
  private configs: AuthConfig[] | undefined;

  constructor(private readonly paths: string[] = authFilePaths()) {}

  async get(registry: string): Promise<Credential | undefined> {
    this.configs ??= this.paths.filter((p) => existsSync(p)).map(readAuthConfig);
    for (const config of this.configs) {
      const helper = findEntry(config.credHelpers, registry) ?? config.credsStore;
      if (helper) {
        const fromHelper = await runCredentialHelper(helper, registry);
        if (fromHelper) return fromHelper;
      }
      const entry = findEntry(config.auths, registry);
      if (entry) return entryCredential(entry, config.path, registry);
    }
    return undefined;
  }
}

/**
 * The same credential for every registry, as cosign's --registry-username/--registry-password and
 * --registry-token give it (Basic wins when both are set, as in cosign).
 */
export function fixedCredentials(credential: Credential): CredentialStore {
  return { get: async () => credential };
}

/** No credentials at all: anonymous access only. */
export const ANONYMOUS: CredentialStore = { get: async () => undefined };

/**
 * The `auths` of a docker config that came from elsewhere than the user's files (a Kubernetes pull
 * Secret): credential helpers are ignored, since such a config must not make this process run programs.
 */
export function authsCredentials(json: unknown, where: string): CredentialStore {
  const config = parseAuthConfig(json, where);
  return {
    get: async (registry) => {
      const entry = findEntry(config.auths, registry);
      return entry ? entryCredential(entry, where, registry) : undefined;
    },
  };
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface AuthConfig {
  path: string;
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

function readAuthConfig(path: string): AuthConfig {
  return parseAuthConfig(parseJson(readFileSync(path, 'utf8'), path), path);
}

function parseAuthConfig(json: unknown, path: string): AuthConfig {
  if (!isRecord(json)) throw new SigilError('BAD_JSON', `${path}: expected a JSON object`);
  const auths = json.auths ?? {};
  const credHelpers = json.credHelpers ?? {};
  if (!isRecord(auths) || !Object.values(auths).every(isRecord)) {
    throw new SigilError('BAD_JSON', `${path}: "auths" must map registries to objects`);
  }
  if (!isRecord(credHelpers) || !Object.values(credHelpers).every((v) => typeof v === 'string')) {
    throw new SigilError('BAD_JSON', `${path}: "credHelpers" must map registries to helper names`);
  }
  if (json.credsStore !== undefined && typeof json.credsStore !== 'string') {
    throw new SigilError('BAD_JSON', `${path}: "credsStore" must be a string`);
  }
  return {
    path,
    auths: auths as Record<string, AuthEntry>,
    credHelpers: credHelpers as Record<string, string>,
    ...(json.credsStore ? { credsStore: json.credsStore } : {}),
  };
}

/** Config keys may be URLs (`https://host/v1/`) or bare hosts; compare by host[:port]. */
export function normaliseRegistryKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
  return DOCKER_HUB_KEYS.includes(host) || DOCKER_HUB_KEYS.includes(key) ? 'index.docker.io' : host;
}

function findEntry<T>(entries: Record<string, T>, registry: string): T | undefined {
  const want = normaliseRegistryKey(registry);
  const key = Object.keys(entries).find((k) => normaliseRegistryKey(k) === want);
  return key === undefined ? undefined : entries[key];
}

function entryCredential(entry: AuthEntry, path: string, registry: string): Credential | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new SigilError('BAD_JSON', `${path}: the "auth" of ${registry} is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password !== undefined)
    return { username: entry.username, password: entry.password };
  return undefined;
}

/**
 * docker-credential-<name> get: the server URL on stdin, `{"Username","Secret"}` on stdout. A helper that
 * knows nothing of the registry says so on stdout and exits non-zero; that is "no credentials", not an error.
 */
function runCredentialHelper(name: string, registry: string): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  const server =
    normaliseRegistryKey(registry) === 'index.docker.io' ? 'https://index.docker.io/v1/' : registry;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', (err) => {
      reject(
        new SigilError('REGISTRY_UNAUTHORIZED', `credential helper ${program} could not run: ${err.message}`),
      );
    });
    child.on('close', (code) => {
      if (code !== 0) {
        if (/credentials not found/i.test(stdout)) resolve(undefined);
        else
          reject(
            new SigilError(
              'REGISTRY_UNAUTHORIZED',
              `credential helper ${program} failed for ${registry} (exit ${code}): ${stdout.trim().split('\n')[0]}`,
            ),
          );
        return;
      }
      const json = parseJson(stdout, `output of ${program}`);
      if (!isRecord(json) || typeof json.Username !== 'string' || typeof json.Secret !== 'string') {
        reject(new SigilError('BAD_JSON', `output of ${program}: expected {"Username","Secret"}`));
        return;
      }
      // docker's convention: the user name <token> marks an identity (refresh) token.
      resolve(
        json.Username === '<token>'
          ? { identityToken: json.Secret }
          : { username: json.Username, password: json.Secret },
      );
    });
    child.stdin.end(server);
  });
}
