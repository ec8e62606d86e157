/**
 * The embedded OCI registry: distribution-spec v1.1 (pull, push, content discovery, content management)
 * with the referrers API, served by fastify over the filesystem store. It is the embedded default for the
 * demo and air-gapped use, and passes the same conformance tests as the real distribution registry.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Digest, isDigest, sha256Digest } from '../../core/index.js';
import { type Descriptor, isIndex, type Manifest, parseManifest } from '../manifest.js';
import { MANIFEST_TYPES, OCI_INDEX } from '../media-types.js';
import { RegistryHttpError } from './errors.js';
import { RegistryStorage } from './storage.js';

export interface RegistryServerOptions {
  host: string;
  port: number;
  dataDir: string;
  auth?: { username: string; password: string };
  /** Largest request body accepted (a blob chunk or a monolithic upload). */
  bodyLimit?: number;
}

export interface RunningRegistry {
  url: string;
  address: string;
  close(): Promise<void>;
}

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_BODY_LIMIT = 1024 * 1024 * 1024;
const MANIFEST_LIMIT = 4 * 1024 * 1024;

type Handler = (request: FastifyRequest, reply: FastifyReply, name: string, rest: string) => Promise<unknown>;

export async function startRegistry(options: RegistryServerOptions): Promise<RunningRegistry> {
  const app = buildRegistryApp(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, address: `${host}:${port}`, close: () => app.close() };
}

export function buildRegistryApp(
  options: Pick<RegistryServerOptions, 'dataDir' | 'auth' | 'bodyLimit'>,
): FastifyInstance {
  const storage = new RegistryStorage(options.dataDir);
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT });
  // Bodies are opaque bytes (blobs, manifests of many media types): no JSON parsing by fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    if (options.auth && !authorized(request.headers.authorization, options.auth)) {
      reply.header('WWW-Authenticate', 'Basic realm="sigil"');
      throw new RegistryHttpError(401, 'UNAUTHORIZED', 'authentication required');
    }
  });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof RegistryHttpError) return reply.status(error.status).send(error.body());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const code = status === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED';
    return reply.status(status).send({ errors: [{ code, message: (error as Error).message }] });
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        new RegistryHttpError(404, 'UNSUPPORTED', `no route for ${request.method} ${request.url}`).body(),
      );
  });

  const routes = registryRoutes(storage);
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v2/*',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if (path === '/v2/' || path === '/v2')
        return reply.header('Content-Type', 'application/json').send('{}');
      if (path === '/v2/_catalog' && request.method === 'GET') return routes.catalog(request, reply);
      for (const [pattern, methods] of routes.table) {
        const match = pattern.exec(path);
        if (!match) continue;
        const name = decodeURIComponent(match[1] ?? '');
        if (!NAME.test(name))
          throw new RegistryHttpError(400, 'NAME_INVALID', `invalid repository name "${name}"`);
        const handler = methods[request.method];
        if (!handler)
          throw new RegistryHttpError(405, 'UNSUPPORTED', `${request.method} is not supported here`);
        return handler(request, reply, name, decodeURIComponent(match[2] ?? ''));
      }
      throw new RegistryHttpError(404, 'NAME_UNKNOWN', `no route for ${path}`);
    },
  });
  return app;
}

function authorized(header: string | undefined, auth: { username: string; password: string }): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice('Basic '.length), 'base64');
  const expected = Buffer.from(`${auth.username}:${auth.password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function registryRoutes(storage: RegistryStorage) {
  const uploadLocation = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;
  const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>;
  const body = (request: FastifyRequest) => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));

  const digestParam = (value: string | undefined, what: string): Digest => {
    if (!value || !isDigest(value))
      throw new RegistryHttpError(400, 'DIGEST_INVALID', `invalid ${what} digest "${value ?? ''}"`);
    return value;
  };

  const acceptedUpload = (reply: FastifyReply, name: string, id: string, size: number) =>
    reply
      .status(202)
      .header('Location', uploadLocation(name, id))
      .header('Range', `0-${Math.max(0, size - 1)}`)
      .header('Docker-Upload-UUID', id)
      .header('Content-Length', '0')
      .send();

  const uploadSize = async (name: string, id: string): Promise<number> => {
    const size = UUID.test(id) ? await storage.uploadSize(name, id) : undefined;
    if (size === undefined) throw new RegistryHttpError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${id} unknown`);
    return size;
  };

  const blobCreated = (reply: FastifyReply, name: string, digest: Digest) =>
    reply
      .status(201)
      .header('Location', `/v2/${name}/blobs/${digest}`)
      .header('Docker-Content-Digest', digest)
      .header('Content-Length', '0')
      .send();

  const blobs: Record<string, Handler> = {
    GET: async (request, reply, name, digestText) =>
      sendBlob(storage, request, reply, name, digestParam(digestText, 'blob'), true),
    HEAD: async (request, reply, name, digestText) =>
      sendBlob(storage, request, reply, name, digestParam(digestText, 'blob'), false),
    DELETE: async (_request, reply, name, digestText) => {
      if (!(await storage.deleteBlob(name, digestParam(digestText, 'blob')))) {
        throw new RegistryHttpError(404, 'BLOB_UNKNOWN', `blob ${digestText} unknown to ${name}`);
      }
      return reply.status(202).header('Content-Length', '0').send();
    },
  };

  const uploadsStart: Record<string, Handler> = {
    POST: async (request, reply, name) => {
      const { mount, from, digest } = query(request);
      if (mount && from) {
        const mounted = digestParam(mount, 'mount');
        if (NAME.test(from) && (await storage.hasBlob(from, mounted)) !== undefined) {
          await storage.linkBlob(name, mounted);
          return blobCreated(reply, name, mounted);
        }
      }
      if (digest) {
        const want = digestParam(digest, 'upload');
        const data = body(request);
        if (sha256Digest(data) !== want)
          throw new RegistryHttpError(400, 'DIGEST_INVALID', `content does not match digest ${want}`);
        await storage.putBlob(name, want, data);
        return blobCreated(reply, name, want);
      }
      const id = await storage.startUpload(name);
      return acceptedUpload(reply, name, id, 0);
    },
  };

  const uploads: Record<string, Handler> = {
    GET: async (_request, reply, name, id) => {
      const size = await uploadSize(name, id);
      return reply
        .status(204)
        .header('Location', uploadLocation(name, id))
        .header('Range', `0-${Math.max(0, size - 1)}`)
        .header('Docker-Upload-UUID', id)
        .send();
    },
    PATCH: async (request, reply, name, id) => {
      const size = await uploadSize(name, id);
      const range = request.headers['content-range'];
      if (range !== undefined) {
        const match = /^(\d+)-(\d+)$/.exec(String(range));
        if (!match || Number(match[1]) !== size) {
          return reply
            .status(416)
            .header('Location', uploadLocation(name, id))
            .header('Range', `0-${Math.max(0, size - 1)}`)
            .send(
              new RegistryHttpError(
                416,
                'BLOB_UPLOAD_INVALID',
                `chunk ${range} does not start at offset ${size}`,
              ).body(),
            );
        }
      }
      const newSize = await storage.appendUpload(id, body(request));
      return acceptedUpload(reply, name, id, newSize);
    },
    PUT: async (request, reply, name, id) => {
      await uploadSize(name, id);
      const digest = digestParam(query(request).digest, 'upload');
      const last = body(request);
      if (last.length > 0) await storage.appendUpload(id, last);
      if (!(await storage.finishUpload(name, id, digest))) {
        throw new RegistryHttpError(
          400,
          'DIGEST_INVALID',
          `uploaded content does not match digest ${digest}`,
        );
      }
      return blobCreated(reply, name, digest);
    },
    DELETE: async (_request, reply, name, id) => {
      await uploadSize(name, id);
      await storage.cancelUpload(id);
      return reply.status(204).send();
    },
  };

  const resolve = async (name: string, reference: string): Promise<Digest> => {
    const digest = isDigest(reference)
      ? reference
      : TAG.test(reference)
        ? await storage.resolveTag(name, reference)
        : undefined;
    if (!digest)
      throw new RegistryHttpError(404, 'MANIFEST_UNKNOWN', `manifest ${reference} unknown to ${name}`);
    return digest;
  };

  const manifests: Record<string, Handler> = {
    GET: async (_request, reply, name, reference) =>
      sendManifest(storage, reply, name, await resolve(name, reference), true),
    HEAD: async (_request, reply, name, reference) =>
      sendManifest(storage, reply, name, await resolve(name, reference), false),
    PUT: async (request, reply, name, reference) => {
      if (!isDigest(reference) && !TAG.test(reference))
        throw new RegistryHttpError(400, 'MANIFEST_INVALID', `invalid tag "${reference}"`);
      const bytes = body(request);
      if (bytes.length > MANIFEST_LIMIT)
        throw new RegistryHttpError(413, 'SIZE_INVALID', 'manifest larger than 4 MiB');
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const manifest = validateManifest(bytes, mediaType);
      const digest = sha256Digest(bytes);
      if (isDigest(reference) && reference !== digest) {
        throw new RegistryHttpError(400, 'DIGEST_INVALID', `manifest digest is ${digest}, not ${reference}`);
      }
      await checkReferences(storage, name, manifest);
      const type = manifest.mediaType ?? mediaType;
      const referrer = manifest.subject
        ? {
            subject: manifest.subject.digest,
            descriptor: referrerDescriptor(manifest, type, digest, bytes.length),
          }
        : undefined;
      await storage.putManifest(
        name,
        { digest, mediaType: type, bytes },
        isDigest(reference) ? undefined : reference,
        referrer,
      );
      if (manifest.subject) reply.header('OCI-Subject', manifest.subject.digest);
      return reply
        .status(201)
        .header('Location', `/v2/${name}/manifests/${digest}`)
        .header('Docker-Content-Digest', digest)
        .header('Content-Length', '0')
        .send();
    },
    DELETE: async (_request, reply, name, reference) => {
      const deleted = isDigest(reference)
        ? await storage.deleteManifest(name, reference)
        : await storage.deleteTag(name, reference);
      if (!deleted)
        throw new RegistryHttpError(404, 'MANIFEST_UNKNOWN', `manifest ${reference} unknown to ${name}`);
      return reply.status(202).header('Content-Length', '0').send();
    },
  };

  const tags: Record<string, Handler> = {
    GET: async (request, reply, name) => {
      if (!(await storage.repositoryExists(name)))
        throw new RegistryHttpError(404, 'NAME_UNKNOWN', `repository ${name} unknown`);
      const { n, last } = query(request);
      const all = (await storage.listTags(name)).filter((t) => last === undefined || t > last);
      const limit = n === undefined ? all.length : Number(n);
      if (!Number.isInteger(limit) || limit < 0)
        throw new RegistryHttpError(400, 'UNSUPPORTED', `invalid n=${n}`);
      const page = all.slice(0, limit);
      if (page.length < all.length && page.length > 0) {
        reply.header(
          'Link',
          `</v2/${name}/tags/list?n=${limit}&last=${encodeURIComponent(page[page.length - 1] ?? '')}>; rel="next"`,
        );
      }
      return reply.header('Content-Type', 'application/json').send({ name, tags: page });
    },
  };

  const referrers: Record<string, Handler> = {
    GET: async (request, reply, name, digestText) => {
      const subject = digestParam(digestText, 'subject');
      const { artifactType } = query(request);
      let found = await storage.referrers(name, subject);
      if (artifactType) {
        found = found.filter((d) => d.artifactType === artifactType);
        reply.header('OCI-Filters-Applied', 'artifactType');
      }
      return reply
        .header('Content-Type', OCI_INDEX)
        .send(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: found }));
    },
  };

  const table: [RegExp, Record<string, Handler>][] = [
    [/^\/v2\/(.+)\/blobs\/uploads\/?$/, uploadsStart],
    [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, uploads],
    [/^\/v2\/(.+)\/blobs\/([^/]+)$/, blobs],
    [/^\/v2\/(.+)\/manifests\/([^/]+)$/, manifests],
    [/^\/v2\/(.+)\/tags\/list$/, tags],
    [/^\/v2\/(.+)\/referrers\/([^/]+)$/, referrers],
  ];

  const catalog = async (request: FastifyRequest, reply: FastifyReply) => {
    const { n, last } = query(request);
    const all = (await storage.listRepositories()).filter((r) => last === undefined || r > last);
    const page = n === undefined ? all : all.slice(0, Number(n));
    return reply.header('Content-Type', 'application/json').send({ repositories: page });
  };

  return { table, catalog };
}

async function sendBlob(
  storage: RegistryStorage,
  _request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  digest: Digest,
  withBody: boolean,
) {
  const size = await storage.hasBlob(name, digest);
  if (size === undefined)
    throw new RegistryHttpError(404, 'BLOB_UNKNOWN', `blob ${digest} unknown to ${name}`);
  reply
    .header('Content-Type', 'application/octet-stream')
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', String(size));
  return withBody ? reply.send(storage.openBlob(digest)) : reply.send();
}

async function sendManifest(
  storage: RegistryStorage,
  reply: FastifyReply,
  name: string,
  digest: Digest,
  withBody: boolean,
) {
  const stored = await storage.getManifest(name, digest);
  if (!stored) throw new RegistryHttpError(404, 'MANIFEST_UNKNOWN', `manifest ${digest} unknown to ${name}`);
  reply
    .header('Content-Type', stored.mediaType)
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', String(stored.bytes.length));
  return withBody ? reply.send(stored.bytes) : reply.send();
}

function validateManifest(bytes: Buffer, mediaType: string): Manifest {
  if (!MANIFEST_TYPES.includes(mediaType)) {
    throw new RegistryHttpError(400, 'MANIFEST_INVALID', `unsupported manifest media type "${mediaType}"`);
  }
  try {
    return parseManifest(bytes, mediaType, 'manifest');
  } catch (err) {
    throw new RegistryHttpError(400, 'MANIFEST_INVALID', (err as Error).message);
  }
}

/** Every blob an image manifest names, and every manifest an index names, must already be in the repository. */
async function checkReferences(storage: RegistryStorage, name: string, manifest: Manifest): Promise<void> {
  const missing: string[] = [];
  if (isIndex(manifest)) {
    for (const child of manifest.manifests) {
      if (!(await storage.getManifest(name, child.digest))) missing.push(child.digest);
    }
  } else {
    for (const blob of [manifest.config, ...manifest.layers]) {
      if ((await storage.hasBlob(name, blob.digest)) === undefined) missing.push(blob.digest);
    }
  }
  if (missing.length > 0) {
    throw new RegistryHttpError(
      400,
      'MANIFEST_BLOB_UNKNOWN',
      `manifest references unknown content ${missing.join(', ')}`,
      { missing },
    );
  }
}

/** The descriptor the referrers API lists for a manifest with a subject. */
function referrerDescriptor(manifest: Manifest, mediaType: string, digest: Digest, size: number): Descriptor {
  const artifactType = manifest.artifactType ?? (isIndex(manifest) ? undefined : manifest.config.mediaType);
  return {
    mediaType,
    digest,
    size,
    ...(artifactType ? { artifactType } : {}),
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
}
