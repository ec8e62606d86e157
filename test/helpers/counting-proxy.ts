/**
 * A plain HTTP forwarder in front of a real registry that counts what reaches it: each request as
 * `METHOD /path` and each TCP connection opened to it. Tests point the registry client at the proxy's
 * address to see how many round trips (and connections) a piece of code costs the registry, without
 * putting a fake registry in its place. The Host header is forwarded as sent, so the registry's upload
 * Locations name the proxy and pushes go through it too.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CountingProxy {
  /** host:port of the proxy, to use as the registry's name in image references. */
  address: string;
  /** Every request forwarded since the last reset, as `METHOD /path`. */
  requests: string[];
  /** TCP connections accepted since the last reset. */
  connections: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const [targetHost, targetPort] = target.split(':');
  const sockets = new Set<Socket>();
  const proxy: Omit<CountingProxy, 'address' | 'close'> = {
    requests: [],
    connections: 0,
    reset() {
      proxy.requests.length = 0;
      proxy.connections = 0;
    },
  };
  const server = createServer((incoming, answer) => {
    proxy.requests.push(`${incoming.method} ${new URL(incoming.url ?? '/', 'http://x').pathname}`);
    const forwarded = httpRequest(
      {
        host: targetHost,
        port: Number(targetPort),
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        answer.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(answer);
      },
    );
    forwarded.on('error', (err) => answer.destroy(err));
    incoming.pipe(forwarded);
  });
  server.on('connection', (socket: Socket) => {
    proxy.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
