/**
 * The embedded OCI registry: distribution-spec v1.1 (pull, push, content discovery, content management)
 * with the referrers API, served by fastify over the filesystem stores. It is the default registry for
 * demos and air-gapped use, and passes the same conformance cases as the real distribution registry.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadFastify } from '../../core/index.js';
import { type BasicCredentials, basicAuthCheck } from './auth.js';
import { blobRoutes } from './blob-routes.js';
import { RegistryHttpError } from './errors.js';
import { catalog, referrersRoutes, tagsRoutes } from './listing-routes.js';
import { manifestRoutes } from './manifest-routes.js';
import { type Endpoint, type EndpointHandlers, matchRoute } from './routing.js';
import { RegistryStorage } from './storage.js';
import { uploadRoutes, uploadStartRoutes } from './upload-routes.js';

export interface RegistryServerOptions {
  host: string;
  port: number;
  dataDir: string;
  auth?: BasicCredentials;
}

export interface RunningRegistry {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `host:port`, the registry part of image references, e.g. `127.0.0.1:41234`. */
  address: string;
  close(): Promise<void>;
}

const ENDPOINT_HANDLERS: Record<Endpoint, EndpointHandlers> = {
  uploads: uploadStartRoutes,
  upload: uploadRoutes,
  blob: blobRoutes,
  manifest: manifestRoutes,
  tags: tagsRoutes,
  referrers: referrersRoutes,
};

/** Starts the registry; port 0 picks a free port, reported in the result. */
export async function startRegistry(options: RegistryServerOptions): Promise<RunningRegistry> {
  const app = buildRegistryApp(options);
  await app.listen({ host: options.host, port: options.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  const address = `${reachableHost(options.host)}:${port}`;
  return { url: `http://${address}`, address, close: () => closeGracefully(app) };
}

/**
 * Lets requests in flight finish, then cuts what is left: a client that stopped reading a blob keeps its
 * connection busy, and without the cut close() would wait for the keep-alive timeout (72 s).
 */
async function closeGracefully(app: ReturnType<typeof buildRegistryApp>): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}

const CLOSE_GRACE_MS = 2_000;

/** The registry as a fastify instance that is not listening yet, for `inject()` tests and embedding. */
export function buildRegistryApp(options: Omit<RegistryServerOptions, 'host' | 'port'>): FastifyInstance {
  const storage = new RegistryStorage(options.dataDir);
  const app = loadFastify().fastify({ logger: false });
  // Bodies stay raw streams whatever their Content-Type: blobs are spooled to disk, manifests hashed as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const checkAuth = options.auth === undefined ? undefined : basicAuthCheck(options.auth);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    checkAuth?.(request.headers.authorization);
  });
  app.setErrorHandler((error: FastifyError | RegistryHttpError, _request, reply) => {
    const failure = error instanceof RegistryHttpError ? error : fromFastifyError(error);
    return reply.status(failure.status).headers(failure.headers).send(failure.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new RegistryHttpError(404, 'UNSUPPORTED', `no endpoint ${request.method} ${request.url}`);
    return reply.status(404).send(failure.body());
  });
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v2/*',
    exposeHeadRoute: false,
    handler: (request, reply) => dispatch(request, reply, storage),
  });
  return app;
}

async function dispatch(request: FastifyRequest, reply: FastifyReply, storage: RegistryStorage) {
  const path = request.url.split('?')[0] ?? '';
  const read = request.method === 'GET' || request.method === 'HEAD';
  if (path === '/v2/' && read) return reply.header('Content-Type', 'application/json').send('{}');
  if (path === '/v2/_catalog' && read) return catalog(request, reply, storage);
  const route = matchRoute(path);
  if (route === undefined)
    throw new RegistryHttpError(404, 'UNSUPPORTED', `no endpoint ${request.method} ${path}`);
  const handler = ENDPOINT_HANDLERS[route.endpoint][request.method];
  if (handler === undefined) {
    throw new RegistryHttpError(405, 'UNSUPPORTED', `${request.method} is not supported on ${path}`);
  }
  return handler({ request, reply, storage, name: route.name, reference: route.reference });
}

/** Fastify's own failures (bad Content-Type, aborted body, ...) and unexpected faults in the spec's form. */
function fromFastifyError(error: FastifyError): RegistryHttpError {
  const status = error.statusCode ?? 500;
  if (status >= 500) return new RegistryHttpError(500, 'UNKNOWN', 'internal error in the registry');
  return new RegistryHttpError(status, status === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED', error.message);
}

/** A wildcard listen address is reachable through loopback; IPv6 literals need brackets in URLs. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
