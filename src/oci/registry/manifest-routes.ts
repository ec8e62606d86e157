/**
 * Manifests by tag or digest: `GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>`. A PUT stores the
 * exact bytes sent, under the digest of those bytes, once every blob they name is in the repository.
 */
import { type Digest, digestOf, isDigest } from '../../core/index.js';
import { RegistryHttpError } from './errors.js';
import { inspectManifest } from './manifest-check.js';
import { isTag } from './names.js';
import { query, readBody } from './request-input.js';
import type { EndpointHandlers, RouteContext } from './routing.js';

/** The spec asks registries to take manifests of at least 4 MiB; bigger ones are refused with 413. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;

function parseReference(reference: string): Digest | { tag: string } {
  if (isDigest(reference)) return reference;
  if (isTag(reference)) return { tag: reference };
  throw new RegistryHttpError(400, 'MANIFEST_INVALID', `"${reference}" is neither a tag nor a digest`);
}

function manifestUnknown(name: string, reference: string): RegistryHttpError {
  return new RegistryHttpError(404, 'MANIFEST_UNKNOWN', `manifest ${reference} unknown to ${name}`, {
    reference,
  });
}

async function sendManifest({ reply, storage, name, reference }: RouteContext, withBody: boolean) {
  const digest = await storage.resolve(name, parseReference(reference));
  const manifest = digest === undefined ? undefined : await storage.getManifest(name, digest);
  if (digest === undefined || manifest === undefined) throw manifestUnknown(name, reference);
  reply
    .header('Content-Type', manifest.mediaType)
    .header('Docker-Content-Digest', digest)
    .header('ETag', `"${digest}"`)
    .header('Content-Length', String(manifest.bytes.length));
  return withBody ? reply.send(manifest.bytes) : reply.send();
}

async function putManifest({ request, reply, storage, name, reference }: RouteContext) {
  const target = parseReference(reference);
  // Tags given as `?tag=` apply to a push by digest (spec end-7b); with a push by tag they are ignored.
  const extraTags = typeof target === 'string' ? query(request).getAll('tag') : [];
  const badTag = extraTags.find((tag) => !isTag(tag));
  if (badTag !== undefined) throw new RegistryHttpError(400, 'MANIFEST_INVALID', `invalid tag "${badTag}"`);
  const bytes = await readBody(request, MANIFEST_LIMIT);
  const manifest = inspectManifest(bytes, request.headers['content-type']);
  const digest = typeof target === 'string' ? digestOf(bytes, algorithmOf(target)) : digestOf(bytes);
  if (typeof target === 'string' && target !== digest) {
    throw new RegistryHttpError(400, 'DIGEST_INVALID', `manifest digest is ${digest}, not ${target}`, {
      digest,
    });
  }
  const missing = await storage.missingReferences(name, manifest);
  if (missing.length > 0) {
    throw new RegistryHttpError(
      400,
      'MANIFEST_BLOB_UNKNOWN',
      `manifest references content unknown to ${name}: ${missing.join(', ')}`,
      { missing },
    );
  }
  const tags = typeof target === 'string' ? extraTags : [target.tag];
  await storage.putManifest(name, manifest, { digest, bytes }, tags);
  if (manifest.subject !== undefined) reply.header('OCI-Subject', manifest.subject);
  if (extraTags.length > 0) reply.header('OCI-Tag', extraTags.join(', '));
  return reply
    .status(201)
    .header('Location', `/v2/${name}/manifests/${digest}`)
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', '0')
    .send();
}

function algorithmOf(digest: Digest): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export const manifestRoutes: EndpointHandlers = {
  GET: (context) => sendManifest(context, true),
  HEAD: (context) => sendManifest(context, false),
  PUT: putManifest,
  DELETE: async ({ reply, storage, name, reference }) => {
    const target = parseReference(reference);
    const deleted =
      typeof target === 'string'
        ? await storage.deleteManifest(name, target)
        : await storage.deleteTag(name, target.tag);
    if (!deleted) throw manifestUnknown(name, reference);
    return reply.status(202).header('Content-Length', '0').send();
  },
};
