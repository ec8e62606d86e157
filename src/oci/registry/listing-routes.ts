/**
 * Content discovery: `GET /v2/<name>/tags/list`, `GET /v2/<name>/referrers/<digest>` and
 * `GET /v2/_catalog`, paginated with `n` and `last` and an RFC 5988 `Link: <...>; rel="next"` header.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryHttpError } from './errors.js';
import { OCI_INDEX } from './manifest-check.js';
import { digestParam, query } from './request-input.js';
import type { EndpointHandlers } from './routing.js';
import type { RegistryStorage } from './storage.js';

/** One page of sorted `names` after `last`, at most `n` long, with the Link to the next page if any. */
function paginate(
  request: FastifyRequest,
  reply: FastifyReply,
  names: readonly string[],
  path: string,
): string[] {
  const params = query(request);
  const last = params.get('last');
  const n = params.get('n');
  const after = last === null ? names : names.filter((name) => name > last);
  if (n === null) return [...after];
  if (!/^\d+$/.test(n))
    throw new RegistryHttpError(400, 'UNSUPPORTED', `n=${n} is not a non-negative integer`);
  const page = after.slice(0, Number(n));
  const end = page[page.length - 1];
  if (end !== undefined && page.length < after.length) {
    reply.header('Link', `<${path}?n=${n}&last=${encodeURIComponent(end)}>; rel="next"`);
  }
  return page;
}

export const tagsRoutes: EndpointHandlers = {
  GET: async ({ request, reply, storage, name }) => {
    if (!(await storage.repositoryExists(name))) {
      throw new RegistryHttpError(404, 'NAME_UNKNOWN', `repository ${name} unknown`, { name });
    }
    const tags = paginate(request, reply, await storage.listTags(name), `/v2/${name}/tags/list`);
    return sendJson(reply, { name, tags });
  },
};

export const referrersRoutes: EndpointHandlers = {
  GET: async ({ request, reply, storage, name, reference }) => {
    const subject = digestParam(reference, 'subject');
    const artifactType = query(request).get('artifactType');
    let manifests = await storage.referrers(name, subject);
    if (artifactType !== null) {
      manifests = manifests.filter((descriptor) => descriptor.artifactType === artifactType);
      reply.header('OCI-Filters-Applied', 'artifactType');
    }
    return sendJson(reply, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
  },
};

export async function catalog(request: FastifyRequest, reply: FastifyReply, storage: RegistryStorage) {
  const repositories = paginate(request, reply, await storage.listRepositories(), '/v2/_catalog');
  return sendJson(reply, { repositories });
}

/** Sent as bytes: fastify would append `; charset=utf-8` to a string, and the spec wants no parameters. */
function sendJson(reply: FastifyReply, value: unknown, contentType = 'application/json') {
  return reply.header('Content-Type', contentType).send(Buffer.from(JSON.stringify(value)));
}
