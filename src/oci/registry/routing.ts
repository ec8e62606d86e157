/**
 * Maps a `/v2/...` path to an endpoint. Repository names contain slashes, so fastify's router cannot
 * split them; the endpoint is recognised by the path's suffix and the name is everything before it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryHttpError } from './errors.js';
import { isRepositoryName } from './names.js';
import type { RegistryStorage } from './storage.js';

export type Endpoint = 'uploads' | 'upload' | 'blob' | 'manifest' | 'tags' | 'referrers';

export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
  storage: RegistryStorage;
  /** The repository name, already checked against the spec's grammar. */
  name: string;
  /** The path's last segment (digest, tag or upload id), percent-decoded and not yet checked. */
  reference: string;
}

export type Handler = (context: RouteContext) => Promise<unknown>;
export type EndpointHandlers = Partial<Record<string, Handler>>;

// Greedy `(.+)` makes the last matching suffix win, so a repository may itself be called `x/blobs`.
const ENDPOINTS: readonly [RegExp, Endpoint][] = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?()$/, 'uploads'],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, 'upload'],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, 'blob'],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, 'manifest'],
  [/^\/v2\/(.+)\/tags\/list()$/, 'tags'],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, 'referrers'],
];

export interface MatchedRoute {
  endpoint: Endpoint;
  name: string;
  reference: string;
}

/** The endpoint a path names, or undefined when it names none. Throws NAME_INVALID for a bad name. */
export function matchRoute(path: string): MatchedRoute | undefined {
  for (const [pattern, endpoint] of ENDPOINTS) {
    const match = pattern.exec(path);
    if (!match) continue;
    const name = decode(match[1] ?? '');
    if (!isRepositoryName(name)) {
      throw new RegistryHttpError(400, 'NAME_INVALID', `invalid repository name "${name}"`, { name });
    }
    return { endpoint, name, reference: decode(match[2] ?? '') };
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RegistryHttpError(400, 'UNSUPPORTED', `malformed percent-encoding in "${segment}"`);
  }
}
