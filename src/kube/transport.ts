/**
 * A fetch over node:https with the connection's own trust: the cluster CA and, for kubeconfig users that
 * authenticate by certificate, a client certificate. Node's global fetch cannot take either per request,
 * and the Kubernetes API is almost always served under a private CA.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';

export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export type Transport = (url: string, init: RequestInit) => Promise<Response>;

/** Statuses whose Response must have no body. */
const BODILESS = new Set([101, 204, 205, 304]);

export function tlsTransport(tls: TlsMaterial): Transport {
  // One agent per connection: kept-alive sockets make batched report writes cheap.
  const agent = new Agent({ ...tls, keepAlive: true });
  return (url, init) =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith('https:');
      const send = secure ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: init.method ?? 'GET',
          headers: init.headers as Record<string, string>,
          ...(secure ? { agent } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            resolve(
              new Response(BODILESS.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? '',
                headers: responseHeaders(res.headers),
              }),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(init.body as string | Uint8Array | undefined);
    });
}

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) result.append(name, v);
  }
  return result;
}
