/**
 * The registry client's `fetch`, on node:http and node:https keep-alive agents instead of the built-in
 * fetch, for two reasons. The built-in fetch (undici) closes the connection after every HEAD, so each tag
 * resolution cost a new TCP connection (and, over HTTPS, a TLS handshake); Node's agents keep it and
 * reuse it, pooled per registry host. And the built-in fetch takes no per-connection TLS options, which
 * cosign's registry flags need (--registry-cacert, --registry-client-cert/--registry-client-key,
 * --registry-server-name, --allow-insecure-registry). Redirects are followed as fetch does (the
 * Authorization header is dropped when the redirect leaves the origin, as blob downloads redirect to
 * object storage).
 */

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Fetch } from './auth.js';

export interface TlsSettings {
  /** PEM CA certificates to trust instead of Node's defaults. */
  ca?: string;
  /** PEM client certificate and its key, for registries that require mutual TLS. */
  cert?: string;
  key?: string;
  /** The name to verify the server certificate against (SNI too), instead of the URL's host. */
  servername?: string;
  /** false: accept any server certificate (cosign's --allow-insecure-registry). */
  rejectUnauthorized: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

let plainAgent: HttpAgent | undefined;
let defaultFetch: Fetch | undefined;

/** Plain-HTTP connections carry no TLS settings: one pool serves every client in the process. */
function plainHttpAgent(): HttpAgent {
  plainAgent ??= new HttpAgent({ keepAlive: true });
  return plainAgent;
}

/** The fetch of registry clients given none: Node's default trust, connections kept and reused. */
export function keepAliveFetch(): Fetch {
  defaultFetch ??= fetchWithTls({ rejectUnauthorized: true });
  return defaultFetch;
}

export function fetchWithTls(settings: TlsSettings): Fetch {
  const tlsAgent = new HttpsAgent({ keepAlive: true, ...settings });
  const tlsFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(input instanceof Request ? input.url : input.toString());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return fetch(input, init);
    let method = (init.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    let body = requestBody(init.body, headers);
    for (let redirects = 0; ; redirects++) {
      const agent = url.protocol === 'https:' ? tlsAgent : plainHttpAgent();
      const response = await send(url, method, headers, body, init.signal ?? undefined, agent);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (!REDIRECTS.has(status) || !location) return toResponse(response, url, method);
      response.resume();
      if (redirects >= MAX_REDIRECTS) throw new TypeError(`fetch failed: too many redirects from ${url}`);
      if (body instanceof Readable)
        throw new TypeError('fetch failed: cannot follow a redirect with a streamed body');
      const next = new URL(location, url);
      if (next.origin !== url.origin) delete headers.authorization;
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      url = next;
    }
  };
  return tlsFetch as Fetch;
}

/** The body types the registry client sends: bytes, a web stream (uploads), a form (token requests), text. */
function requestBody(
  body: RequestInit['body'],
  headers: Record<string, string>,
): Buffer | Readable | undefined {
  if (body === undefined || body === null) return undefined;
  if (body instanceof ReadableStream) return Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    return Buffer.from(body.toString());
  }
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('fetch failed: unsupported request body type');
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | Readable | undefined,
  signal: AbortSignal | undefined,
  agent: HttpAgent | HttpsAgent,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const request = agent instanceof HttpsAgent ? httpsRequest : httpRequest;
    const req = request(url, { method, headers, agent });
    // Like fetch, an abort rejects with the signal's reason (a TimeoutError for AbortSignal.timeout).
    const onAbort = (): void => {
      req.destroy(signal?.reason);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (response) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal) {
        signal.addEventListener('abort', () => response.destroy(signal.reason), { once: true });
      }
      resolve(response);
    });
    req.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      // A kept connection the server closed while it sat idle fails at once: send again (Node's advice),
      // which takes the next kept connection or a new one, so it ends when the pool runs out of stale ones.
      const code = (err as NodeJS.ErrnoException).code;
      if (req.reusedSocket && !(body instanceof Readable) && (code === 'ECONNRESET' || code === 'EPIPE')) {
        resolve(send(url, method, headers, body, signal, agent));
        return;
      }
      reject(new TypeError('fetch failed', { cause: err }));
    });
    if (body instanceof Readable) {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

function toResponse(message: IncomingMessage, url: URL, method: string): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) {
    headers.append(message.rawHeaders[i] as string, message.rawHeaders[i + 1] as string);
  }
  const status = message.statusCode ?? 0;
  const empty = method === 'HEAD' || NULL_BODY.has(status);
  if (empty) message.resume();
  const body = empty ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>);
  const response = new Response(body, { status, statusText: message.statusMessage ?? '', headers });
  // A constructed Response has no URL; the registry client resolves Location and Link headers against it.
  Object.defineProperty(response, 'url', { value: url.toString() });
  return response;
}
