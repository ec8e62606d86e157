import type { FastifyInstance } from 'fastify';
import { messageOf, SigilError } from './errors.js';
import { isRecord } from './json.js';
import { lazyRequire } from './lazy.js';

/** fastify, loaded when a server is built rather than by every command that imports a barrel holding one. */
export const loadFastify = lazyRequire<typeof import('fastify')>('fastify');

/** Starts `app` and returns its base URL (the bound port when 0 was asked for; IPv6 hosts bracketed). */
export async function listenUrl(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}

export interface ServiceCallOptions {
  /** A JSON body, sent as application/json. */
  body?: unknown;
  /** A binary body with its media types, for services that do not speak JSON (RFC 3161 timestamps). */
  binary?: { body: Uint8Array; contentType: string; accept: string };
  /** A form body, sent as application/x-www-form-urlencoded (OAuth token endpoints). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Statuses the caller handles itself (e.g. 409 from a log), or 'any' to read every answer itself. */
  accept?: readonly number[] | 'any';
  /** What the call is for, put before the method and URL in error messages (e.g. `OIDC discovery`). */
  context?: string;
  /** What to check when the service cannot be reached, e.g. `is the log running at --rekor-url?`. */
  unreachableHint: string;
  /** Sends the request instead of the global fetch, e.g. one that trusts a private CA (Kubernetes API). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/**
 * One call to a Sigstore service (CA, log, TSA): an unreachable service and an error answer each become
 * one SigilError line naming the method, URL, status and the service's own message.
 */
export async function callService(
  method: string,
  url: string,
  options: ServiceCallOptions,
): Promise<Response> {
  const where = `${options.context ? `${options.context}: ` : ''}${method} ${url}`;
  const { body, headers } = requestBody(options);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method,
      body,
      headers: { ...headers, ...options.headers },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    const cause = messageOf((err as { cause?: unknown }).cause ?? err);
    throw new SigilError('SERVICE_UNREACHABLE', `${where}: ${cause}`, options.unreachableHint);
  }
  if (response.ok || options.accept === 'any' || options.accept?.includes(response.status)) return response;
  const text = await response.text();
  let message = text.slice(0, 200);
  try {
    const parsed: unknown = JSON.parse(text);
    // Sigstore services answer {message}; OAuth endpoints {error, error_description}.
    if (isRecord(parsed)) {
      const text = parsed.message ?? parsed.error_description ?? parsed.error;
      if (typeof text === 'string') message = text;
    }
  } catch {
    // not JSON: the text itself
  }
  const code =
    response.status === 404 ? 'NOT_FOUND' : response.status === 401 ? 'BAD_TOKEN' : 'SERVICE_ERROR';
  throw new SigilError(code, `${where}: ${response.status} ${message}`);
}

function requestBody(options: ServiceCallOptions): {
  body?: string | Uint8Array;
  headers: Record<string, string>;
} {
  if (options.binary) {
    const { body, contentType, accept } = options.binary;
    return { body, headers: { 'Content-Type': contentType, Accept: accept } };
  }
  const accept = { Accept: 'application/json' };
  if (options.form) {
    const body = new URLSearchParams(options.form).toString();
    return { body, headers: { ...accept, 'Content-Type': 'application/x-www-form-urlencoded' } };
  }
  if (options.body === undefined) return { headers: accept };
  return { body: JSON.stringify(options.body), headers: { ...accept, 'Content-Type': 'application/json' } };
}
