/** Pulling, checking and deleting blobs: `GET/HEAD/DELETE /v2/<name>/blobs/<digest>`, with byte ranges. */
import type { Digest } from '../../core/index.js';
import { RegistryHttpError } from './errors.js';
import { digestParam } from './request-input.js';
import type { EndpointHandlers, RouteContext } from './routing.js';

async function sendBlob({ request, reply, storage, name, reference }: RouteContext, withBody: boolean) {
  const digest = digestParam(reference, 'blob');
  const size = await storage.blobSize(name, digest);
  if (size === undefined) throw blobUnknown(name, digest);
  reply
    .header('Content-Type', 'application/octet-stream')
    .header('Docker-Content-Digest', digest)
    .header('Accept-Ranges', 'bytes')
    .header('ETag', `"${digest}"`);
  const range = parseRange(request.headers.range, size);
  if (range !== undefined) {
    reply
      .status(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
      .header('Content-Length', String(range.end - range.start + 1));
    return withBody ? reply.send(storage.openBlob(digest, range)) : reply.send();
  }
  reply.header('Content-Length', String(size));
  // An empty blob goes without a stream, which would switch the response to chunked encoding.
  return withBody && size > 0 ? reply.send(storage.openBlob(digest)) : reply.send();
}

/**
 * One `bytes=<start>-<end>` range (RFC 9110 §14), the only form registry clients send; anything else is
 * ignored and the whole blob served, as the RFC allows. An unsatisfiable range is a 416.
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  // `bytes=-N` is the last N bytes.
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start > end || start >= size) {
    throw new RegistryHttpError(
      416,
      'SIZE_INVALID',
      `range ${header} is outside the blob (${size} bytes)`,
      undefined,
      {
        'Content-Range': `bytes */${size}`,
      },
    );
  }
  return { start, end };
}

function blobUnknown(name: string, digest: Digest): RegistryHttpError {
  return new RegistryHttpError(404, 'BLOB_UNKNOWN', `blob ${digest} unknown to ${name}`, { digest });
}

export const blobRoutes: EndpointHandlers = {
  GET: (context) => sendBlob(context, true),
  HEAD: (context) => sendBlob(context, false),
  DELETE: async ({ reply, storage, name, reference }) => {
    const digest = digestParam(reference, 'blob');
    if (!(await storage.deleteBlob(name, digest))) throw blobUnknown(name, digest);
    return reply.status(202).header('Content-Length', '0').send();
  },
};
