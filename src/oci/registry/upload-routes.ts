/**
 * Pushing blobs: `POST /v2/<name>/blobs/uploads/` (monolithic with `?digest=`, cross-repository mount with
 * `?mount=&from=`, or a new session) and the session endpoints `GET/PATCH/PUT/DELETE
 * /v2/<name>/blobs/uploads/<id>`.
 */
import type { FastifyReply } from 'fastify';
import type { Digest } from '../../core/index.js';
import { RegistryHttpError } from './errors.js';
import { isRepositoryName, isUploadId } from './names.js';
import { bodyStream, digestParam, query } from './request-input.js';
import type { EndpointHandlers, RouteContext } from './routing.js';
import { rangeHeader } from './upload-store.js';

const SUPPORTED_ALGORITHMS = new Set(['sha256', 'sha512']);

function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

function sessionHeaders(reply: FastifyReply, name: string, id: string): FastifyReply {
  return reply.header('Location', uploadLocation(name, id)).header('Docker-Upload-UUID', id);
}

function blobCreated(reply: FastifyReply, name: string, digest: Digest) {
  return reply
    .status(201)
    .header('Location', `/v2/${name}/blobs/${digest}`)
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', '0')
    .send();
}

function digestMismatch(digest: Digest): RegistryHttpError {
  return new RegistryHttpError(400, 'DIGEST_INVALID', `uploaded content does not match digest ${digest}`, {
    digest,
  });
}

/** The session's size; 404 BLOB_UPLOAD_UNKNOWN unless `reference` is a live session of this repository. */
async function sessionSize({ storage, name, reference }: RouteContext): Promise<number> {
  const size = isUploadId(reference) ? await storage.uploads.size(name, reference) : undefined;
  if (size === undefined) {
    throw new RegistryHttpError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${reference} unknown to ${name}`);
  }
  return size;
}

/** `Content-Range: <start>-<end>` (inclusive), as the spec words it; absent means "append what comes". */
function contentRange(header: string | string[] | undefined): { start: number; length: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:bytes )?(\d+)-(\d+)$/.exec(String(header).trim());
  if (!match || Number(match[2]) < Number(match[1])) {
    throw new RegistryHttpError(400, 'BLOB_UPLOAD_INVALID', `malformed Content-Range "${header}"`);
  }
  const start = Number(match[1]);
  return { start, length: Number(match[2]) - start + 1 };
}

export const uploadStartRoutes: EndpointHandlers = {
  POST: async ({ request, reply, storage, name }) => {
    const params = query(request);
    const mount = params.get('mount');
    if (mount !== null) {
      const digest = digestParam(mount, 'mount');
      const from = params.get('from');
      // A mount that cannot be done falls back to a new session, as the spec says.
      if (from !== null && isRepositoryName(from) && (await storage.mountBlob(name, from, digest))) {
        return blobCreated(reply, name, digest);
      }
    }
    const algorithm = params.get('digest-algorithm');
    if (algorithm !== null && !SUPPORTED_ALGORITHMS.has(algorithm)) {
      throw new RegistryHttpError(400, 'DIGEST_INVALID', `unsupported digest algorithm "${algorithm}"`);
    }
    const monolithic = params.get('digest');
    if (monolithic !== null && mount === null) {
      const digest = digestParam(monolithic, 'upload');
      if (!(await storage.putBlob(name, digest, bodyStream(request)))) throw digestMismatch(digest);
      return blobCreated(reply, name, digest);
    }
    const id = await storage.uploads.start(name);
    return sessionHeaders(reply, name, id)
      .status(202)
      .header('Range', '0-0')
      .header('Content-Length', '0')
      .send();
  },
};

export const uploadRoutes: EndpointHandlers = {
  GET: async (context) => {
    const size = await sessionSize(context);
    return sessionHeaders(context.reply, context.name, context.reference)
      .status(204)
      .header('Range', rangeHeader(size))
      .send();
  },
  PATCH: async (context) => {
    await sessionSize(context);
    const { request, reply, storage, name, reference } = context;
    sessionHeaders(reply, name, reference);
    const range = contentRange(request.headers['content-range']);
    const size = await storage.uploads.append(reference, bodyStream(request), range ?? {});
    return reply.status(202).header('Range', rangeHeader(size)).header('Content-Length', '0').send();
  },
  PUT: async (context) => {
    await sessionSize(context);
    const { request, reply, storage, name, reference } = context;
    sessionHeaders(reply, name, reference);
    const digest = digestParam(query(request).get('digest'), 'upload');
    const range = contentRange(request.headers['content-range']);
    await storage.uploads.append(reference, bodyStream(request), range ?? {});
    if (!(await storage.finishUpload(name, reference, digest))) throw digestMismatch(digest);
    return blobCreated(reply, name, digest);
  },
  DELETE: async (context) => {
    await sessionSize(context);
    await context.storage.uploads.discard(context.reference);
    return context.reply.status(204).send();
  },
};
