/**
 * Reading what a request carries: the raw body (the server registers no parsers, so bodies stay streams
 * until a handler decides to spool them to disk or, for small manifests, into memory), query parameters
 * and digests, with the spec's errors for malformed input.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { type Digest, isDigest } from '../../core/index.js';
import { RegistryHttpError } from './errors.js';

export function bodyStream(request: FastifyRequest): Readable {
  return request.body instanceof Readable ? request.body : request.raw;
}

/** The whole body, refused with 413 once it passes `limit` bytes. */
export async function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyStream(request)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RegistryHttpError(413, 'SIZE_INVALID', `body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function query(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : request.url.slice(at + 1));
}

export function digestParam(value: string | null | undefined, what: string): Digest {
  if (value === null || value === undefined || !isDigest(value)) {
    throw new RegistryHttpError(
      400,
      'DIGEST_INVALID',
      `${what}: "${value ?? ''}" is not a sha256/sha512 digest`,
    );
  }
  return value;
}
