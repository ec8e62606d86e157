import type { FastifyInstance } from 'fastify';
import { messageOf, SigilError } from './errors.js';
import { isRecord } from './json.js';

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
  timeoutMs: number;
  /** Statuses the caller handles itself (e.g. 409 from a log). */
  accept?: readonly number[];
  /** What to check when the service cannot be reached, e.g. `is the log running at --rekor-url?`. */
  unreachableHint: string;
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
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal: AbortSignal.timeout(options.timeoutMs),
      ...requestBody(options),
    });
  } catch (err) {
    throw new SigilError(
      'SERVICE_UNREACHABLE',
      `${method} ${url}: ${messageOf((err as { cause?: unknown }).cause ?? err)}`,
      options.unreachableHint,
    );
  }
  if (response.ok || options.accept?.includes(response.status)) return response;
  const text = await response.text();
  let message = text.slice(0, 200);
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: the text itself
  }
  const code =
    response.status === 404 ? 'NOT_FOUND' : response.status === 401 ? 'BAD_TOKEN' : 'SERVICE_ERROR';
  throw new SigilError(code, `${method} ${url}: ${response.status} ${message}`);
}

function requestBody(options: ServiceCallOptions): RequestInit {
  if (options.binary) {
    const { body, contentType, accept } = options.binary;
    return { body, headers: { 'Content-Type': contentType, Accept: accept } };
  }
  if (options.body === undefined) return {};
  return {
    body: JSON.stringify(options.body),
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  };
}
