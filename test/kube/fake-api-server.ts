/**
 * A stand-in for the Kubernetes API server (none can run on the test machine): HTTPS with a throw-away
 * certificate, bearer-token or client-certificate authentication, and the few endpoints sigil uses with
 * the API's semantics: Secrets and Namespaces by GET, Secrets created (POST, 409 AlreadyExists) and replaced
 * (PUT, 409 on a stale resourceVersion, 422 when an immutable Secret would change), PolicyReports and
 * ClusterPolicyReports by server-side apply (PATCH, application/apply-patch+yaml, fieldManager required,
 * force to take over fields), and errors as metav1 Status objects. Every request is recorded for assertions.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { KubeClient } from '../../src/kube/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  authorization?: string;
  body?: unknown;
}

type StoredObject = Record<string, unknown> & { metadata: Record<string, unknown> };

export interface FakeApiServer {
  url: string;
  /** The server's certificate, to trust as the cluster CA (and, with clientAuth, as the client's). */
  cert: string;
  key: string;
  token: string;
  requests: RecordedRequest[];
  objects: Map<string, StoredObject>;
  /** Store an object as another field manager would have (e.g. kubectl). */
  put(path: string, object: StoredObject, manager?: string): void;
  close(): Promise<void>;
}

export interface FakeApiOptions {
  /** Require a client certificate (signed by the server's own certificate) instead of a bearer token. */
  clientAuth?: boolean;
  /** A token that authenticates but may do nothing (403 on everything). */
  forbiddenToken?: string;
}

const APPLY_PATCH = 'application/apply-patch+yaml';

export async function startFakeApiServer(options: FakeApiOptions = {}): Promise<FakeApiServer> {
  const { cert, key } = selfSignedCertificate();
  const token = randomUUID();
  const requests: RecordedRequest[] = [];
  const objects = new Map<string, StoredObject>();
  const managers = new Map<string, string>();

  const server: Server = createServer(
    {
      cert,
      key,
      ...(options.clientAuth ? { ca: cert, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        };
        requests.push(recorded);
        const send = (code: number, body: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const status = (code: number, reason: string, message: string) =>
          send(code, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message,
            reason,
            code,
          });

        if (!options.clientAuth && req.headers.authorization !== `Bearer ${token}`) {
          if (options.forbiddenToken && req.headers.authorization === `Bearer ${options.forbiddenToken}`) {
            return status(
              403,
              'Forbidden',
              `${url.pathname} is forbidden: User "system:serviceaccount:sigil:restricted" cannot ${req.method?.toLowerCase()} this resource`,
            );
          }
          return status(401, 'Unauthorized', 'Unauthorized');
        }
        const parseBody = (): StoredObject | undefined => {
          try {
            const body = JSON.parse(text) as StoredObject;
            recorded.body = body;
            return body;
          } catch {
            status(400, 'BadRequest', 'error decoding the request body');
            return undefined;
          }
        };
        const stored = (body: StoredObject, existing?: StoredObject): StoredObject => ({
          ...body,
          metadata: {
            ...body.metadata,
            uid: existing?.metadata.uid ?? randomUUID(),
            resourceVersion: String(requests.length),
          },
        });

        if (req.method === 'GET') {
          const object = objects.get(url.pathname);
          if (!object) {
            const parts = url.pathname.split('/');
            return status(404, 'NotFound', `${parts.at(-2)} "${parts.at(-1)}" not found`);
          }
          return send(200, object);
        }
        if (req.method === 'PATCH') {
          if (req.headers['content-type'] !== APPLY_PATCH) {
            return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format`);
          }
          const manager = url.searchParams.get('fieldManager');
          if (!manager) return status(400, 'BadRequest', 'fieldManager is required for apply requests');
          const body = parseBody();
          if (!body) return;
          const name = url.pathname.split('/').at(-1);
          if (body.metadata?.name !== name) {
            return status(400, 'BadRequest', 'the name of the object does not match the name on the URL');
          }
          const existing = objects.get(url.pathname);
          // Optimistic concurrency: an apply naming a resourceVersion must name the current one.
          const version = body.metadata.resourceVersion;
          if (version !== undefined && version !== existing?.metadata.resourceVersion) {
            return status(
              409,
              'Conflict',
              'the object has been modified; please apply your changes to the latest version and try again',
            );
          }
          const owner = managers.get(url.pathname);
          if (existing && owner && owner !== manager && url.searchParams.get('force') !== 'true') {
            return status(409, 'Conflict', `Apply failed with 1 conflict: conflict with "${owner}"`);
          }
          const applied = stored(body, existing);
          applied.metadata.managedFields = [{ manager, operation: 'Apply' }];
          objects.set(url.pathname, applied);
          managers.set(url.pathname, manager);
          return send(existing ? 200 : 201, applied);
        }
        if (req.method === 'POST') {
          const body = parseBody();
          if (!body) return;
          const name = body.metadata?.name;
          if (typeof name !== 'string' || name === '') {
            return status(422, 'Invalid', 'metadata.name: Required value: name is required');
          }
          const namespace = url.pathname.split('/')[4];
          if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
            return status(
              400,
              'BadRequest',
              'the namespace of the object does not match the namespace on the URL',
            );
          }
          const path = `${url.pathname}/${name}`;
          if (objects.has(path)) {
            return status(409, 'AlreadyExists', `${url.pathname.split('/').at(-1)} "${name}" already exists`);
          }
          const created = stored(body);
          objects.set(path, created);
          return send(201, created);
        }
        if (req.method === 'PUT') {
          const body = parseBody();
          if (!body) return;
          const parts = url.pathname.split('/');
          const [resource, name] = parts.slice(-2);
          if (body.metadata?.name !== name) {
            return status(400, 'BadRequest', 'the name of the object does not match the name on the URL');
          }
          const existing = objects.get(url.pathname);
          if (!existing) return status(404, 'NotFound', `${resource} "${name}" not found`);
          const version = body.metadata.resourceVersion;
          if (version !== undefined && version !== existing.metadata.resourceVersion) {
            return status(
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            );
          }
          // As the API server validates Secrets: once immutable, neither the data nor the flag may change.
          if (
            existing.immutable === true &&
            (!isDeepStrictEqual(body.data, existing.data) || body.immutable !== true)
          ) {
            return status(
              422,
              'Invalid',
              `${String(existing.kind)} "${name}" is invalid: data: Forbidden: field is immutable when \`immutable\` is set`,
            );
          }
          const replaced = stored(body, existing);
          objects.set(url.pathname, replaced);
          return send(200, replaced);
        }
        return status(405, 'MethodNotAllowed', `${req.method} is not supported here`);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    cert,
    key,
    token,
    requests,
    objects,
    put: (path, object, manager = 'kubectl') => {
      objects.set(path, object);
      managers.set(path, manager);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A client of the stand-in server as the controller in namespace sigil-system, with `token`. */
export function apiClient(api: FakeApiServer, token = api.token): KubeClient {
  return new KubeClient({
    server: api.url,
    namespace: 'sigil-system',
    tls: { ca: api.cert },
    token: () => token,
    source: 'stand-in API server',
  });
}

/**
 * The stand-in server for one describe block: started before its tests and closed after them, with a
 * client as the controller; read the fields inside tests and hooks.
 */
export function suiteApiServer(options: FakeApiOptions = {}): {
  readonly api: FakeApiServer;
  readonly client: KubeClient;
} {
  let started: { api: FakeApiServer; client: KubeClient } | undefined;
  before(async () => {
    const api = await startFakeApiServer(options);
    started = { api, client: apiClient(api) };
  });
  after(() => started?.api.close());
  const get = () => {
    if (!started) throw new Error('the stand-in API server starts in before()');
    return started;
  };
  return {
    get api() {
      return get().api;
    },
    get client() {
      return get().client;
    },
  };
}

/**
 * Writes a kubeconfig into `dir` whose one context reaches `server` as `user` (token or client certificate
 * fields); `file` defaults to a fresh name.
 */
export async function writeKubeconfig(
  dir: string,
  server: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  file = `kubeconfig-${randomUUID()}`,
): Promise<string> {
  const path = join(dir, file);
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'test',
      contexts: [{ name: 'test', context: { cluster: 'c', user: 'u', namespace: 'sigil-system' } }],
      clusters: [{ name: 'c', cluster: { server, ...cluster } }],
      users: [{ name: 'u', user }],
    }),
  );
  return path;
}

/** A kubeconfig in `dir` for the stand-in server, trusting its certificate and using its token. */
export function apiKubeconfig(api: FakeApiServer, dir: string, file?: string): Promise<string> {
  const ca = Buffer.from(api.cert).toString('base64');
  return writeKubeconfig(dir, api.url, { token: api.token }, { 'certificate-authority-data': ca }, file);
}
