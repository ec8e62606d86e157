/**
 * fetchWithTls, the fetch behind cosign's --registry-cacert, --registry-client-cert/--registry-client-key,
 * --registry-server-name and --allow-insecure-registry: against real HTTPS servers with throwaway
 * certificates (one plain, one requiring a client certificate). And keepAliveFetch, the registry client's
 * default, keeping plain-HTTP connections (HEAD included) and recovering from one the server dropped.
 */
import assert from 'node:assert/strict';
import {
  createServer as createPlainServer,
  type IncomingMessage,
  type Server as PlainServer,
  type ServerResponse,
} from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fetchWithTls, keepAliveFetch } from '../../src/oci/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const serverTls = selfSignedCertificate();
const clientTls = selfSignedCertificate();

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

describe('fetchWithTls', () => {
  let origin = '';
  let other = '';
  let mutual = '';
  const servers: Server[] = [];
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (req.url === '/redirect-same') return void res.writeHead(307, { Location: '/echo' }).end();
    if (req.url === '/redirect-other') return void res.writeHead(307, { Location: `${other}/echo` }).end();
    if (req.url === '/see-other') return void res.writeHead(303, { Location: '/echo' }).end();
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Reply': 'yes' });
    res.end(
      JSON.stringify({
        method: req.method,
        authorization: req.headers.authorization ?? null,
        contentType: req.headers['content-type'] ?? null,
        body,
      }),
    );
  };

  before(async () => {
    const plain = createServer({ key: serverTls.key, cert: serverTls.cert }, handler);
    const second = createServer({ key: serverTls.key, cert: serverTls.cert }, handler);
    const withClientCert = createServer(
      {
        key: serverTls.key,
        cert: serverTls.cert,
        ca: clientTls.cert,
        requestCert: true,
        rejectUnauthorized: true,
      },
      handler,
    );
    servers.push(plain, second, withClientCert);
    [origin, other, mutual] = (await Promise.all(servers.map(listen))) as [string, string, string];
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const echo = async (response: Response) => (await response.json()) as Record<string, string | null>;

  it('verifies the server against --registry-cacert, and refuses an unknown certificate without it', async () => {
    const trusting = fetchWithTls({ rejectUnauthorized: true, ca: serverTls.cert });
    const response = await trusting(`${origin}/echo`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-reply'), 'yes');
    assert.equal(response.url, `${origin}/echo`);
    assert.equal((await echo(response)).method, 'GET');
    await assert.rejects(fetchWithTls({ rejectUnauthorized: true })(`${origin}/echo`), (err: Error) => {
      assert.equal(err.message, 'fetch failed');
      assert.match(String((err.cause as Error).message), /self[- ]signed/);
      return true;
    });
  });

  it('accepts any certificate with --allow-insecure-registry (rejectUnauthorized false)', async () => {
    const response = await fetchWithTls({ rejectUnauthorized: false })(`${origin}/echo`);
    assert.equal(response.status, 200);
  });

  it('checks the certificate against --registry-server-name instead of the URL host', async () => {
    const named = (servername: string) =>
      fetchWithTls({ rejectUnauthorized: true, ca: serverTls.cert, servername });
    assert.equal((await named('localhost')(`${origin}/echo`)).status, 200);
    await assert.rejects(named('registry.example')(`${origin}/echo`), (err: Error) => {
      assert.match(String((err.cause as Error).message), /registry\.example/);
      return true;
    });
  });

  it('presents the client certificate a mutual-TLS registry asks for', async () => {
    const withCert = fetchWithTls({
      rejectUnauthorized: true,
      ca: serverTls.cert,
      cert: clientTls.cert,
      key: clientTls.key,
    });
    assert.equal((await withCert(`${mutual}/echo`)).status, 200);
    await assert.rejects(fetchWithTls({ rejectUnauthorized: true, ca: serverTls.cert })(`${mutual}/echo`));
  });

  it('sends byte, stream and form bodies', async () => {
    const tls = fetchWithTls({ rejectUnauthorized: true, ca: serverTls.cert });
    const bytes = await echo(await tls(`${origin}/echo`, { method: 'PUT', body: Buffer.from('abc') }));
    assert.deepEqual([bytes.method, bytes.body], ['PUT', 'abc']);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk1-'));
        controller.enqueue(new TextEncoder().encode('chunk2'));
        controller.close();
      },
    });
    const streamed = await echo(
      await tls(`${origin}/echo`, { method: 'PATCH', body: stream, duplex: 'half' } as RequestInit),
    );
    assert.equal(streamed.body, 'chunk1-chunk2');
    const form = await echo(
      await tls(`${origin}/echo`, { method: 'POST', body: new URLSearchParams({ a: 'b' }) }),
    );
    assert.equal(form.body, 'a=b');
    assert.match(form.contentType ?? '', /^application\/x-www-form-urlencoded/);
  });

  it('follows redirects, dropping Authorization when they leave the origin, and 303 turns into GET', async () => {
    const tls = fetchWithTls({ rejectUnauthorized: true, ca: serverTls.cert });
    const init = { headers: { Authorization: 'Bearer T' } };
    const same = await tls(`${origin}/redirect-same`, init);
    assert.equal(same.url, `${origin}/echo`);
    assert.equal((await echo(same)).authorization, 'Bearer T');
    const elsewhere = await tls(`${origin}/redirect-other`, init);
    assert.equal(elsewhere.url, `${other}/echo`);
    assert.equal((await echo(elsewhere)).authorization, null);
    const seeOther = await echo(await tls(`${origin}/see-other`, { method: 'POST', body: 'x' }));
    assert.deepEqual([seeOther.method, seeOther.body], ['GET', '']);
  });

  it('rejects with the abort reason of an aborted signal, as fetch does', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('gave up', 'TimeoutError'));
    const tls = fetchWithTls({ rejectUnauthorized: false });
    await assert.rejects(tls(`${origin}/echo`, { signal: controller.signal }), { name: 'TimeoutError' });
  });

  it('answers HEAD with headers and no body', async () => {
    const response = await fetchWithTls({ rejectUnauthorized: false })(`${origin}/echo`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.body, null);
  });
});

describe('keepAliveFetch', () => {
  let server: PlainServer;
  let origin: string;
  let connections = 0;
  const requestsOnSocket = new WeakMap<object, number>();

  before(async () => {
    server = createPlainServer((request, response) => {
      const seen = (requestsOnSocket.get(request.socket) ?? 0) + 1;
      requestsOnSocket.set(request.socket, seen);
      // A server that closed a kept connection while it sat idle: the client finds out on its next request.
      if (request.url === '/drops-kept' && seen > 1) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      response.end(request.method === 'HEAD' ? undefined : '{}');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('keeps the connection after HEAD (the built-in fetch opens one per HEAD)', async () => {
    connections = 0;
    for (let i = 0; i < 10; i++) {
      const response = await keepAliveFetch()(`${origin}/manifest`, { method: 'HEAD' });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-length'), '2');
    }
    // The next request may leave before the last response's socket is back in the pool: two at most.
    assert.ok(connections <= 2, `${connections} connections for 10 sequential HEADs`);
  });

  it('sends again on a new connection when a kept one was closed by the server', async () => {
    const first = await keepAliveFetch()(`${origin}/drops-kept`);
    await first.arrayBuffer();
    const second = await keepAliveFetch()(`${origin}/drops-kept`);
    assert.equal(second.status, 200);
    assert.equal(await second.text(), '{}');
  });
});
