/**
 * The web console's server (`sigil console serve`, and `sigil serve` beside its services): the built
 * front end at /ui/ (static files from the npm package, no CDN) and a read-only API under /ui/api/ that
 * forwards a fixed set of GETs to the log and the admission webhook and reads images from one registry.
 * The browser talks to this origin only; registry credentials and upstream TLS settings stay here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { listenUrl, loadFastify, messageOf, SigilError } from '../../core/index.js';
import {
  type Fetch,
  fetchWithTls,
  keepAliveFetch,
  parseReference,
  type RegistryClient,
} from '../../oci/index.js';
import { imageSupplyChain } from './supply-chain.js';
import { parseVerifyQuestion, verifyForConsole } from './verify-image.js';

export interface ConsoleOptions {
  host: string;
  port: number;
  /** The transparency log's base URL (sigil tlog serve / sigil serve). */
  tlogUrl: string;
  /** PEM CA to trust for an https:// log or webhook, instead of Node's defaults. */
  upstreamCa?: string;
  /** The registry images are looked up in (host[:port]) and the client that reads it. */
  registry?: { address: string; client: RegistryClient };
  /** The deployment's trust, for "what would sigil verify say" with an identity (keyless). */
  trustedRoot?: TrustedRoot;
  /** The admission webhook's base URL (https://), for its recent decisions and PolicyReports. */
  admissionUrl?: string;
  /** Serve HTTPS with this pair (the same TLS as the API beside it). */
  tls?: { key: Buffer | string; cert: Buffer | string };
  /** The built front end; default: dist/ui of this package. */
  assetsDir?: string;
}

export interface RunningConsole {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../../dist/ui/', import.meta.url));

/** A PEM key or an identity fits many times over; nothing larger is read. */
const VERIFY_BODY_LIMIT = 16 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

// Everything the page loads comes from this origin; no inline script, no framing.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The built assets, read once: name → bytes; none when the front end was not built (the API still serves). */
function loadAssets(dir: string): Map<string, Buffer> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return new Map();
  }
  return new Map(names.map((name) => [name, readFileSync(join(dir, name))]));
}

export function buildConsoleApp(options: ConsoleOptions): FastifyInstance {
  const assets = loadAssets(options.assetsDir ?? DEFAULT_ASSETS_DIR);
  const app = loadFastify().fastify({ logger: false, ...(options.tls ? { https: options.tls } : {}) });
  const upstream: Fetch = options.upstreamCa
    ? fetchWithTls({ ca: options.upstreamCa, rejectUnauthorized: true })
    : keepAliveFetch();
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.setErrorHandler((error, _request, reply) => {
    const bad =
      error instanceof SigilError &&
      ['BAD_INPUT', 'BAD_REFERENCE', 'BAD_KEY', 'BAD_PEM'].includes(error.code);
    const missing = error instanceof SigilError && /NOT_FOUND/.test(error.code);
    // Fastify's own refusals of a request (too large, not JSON) keep their 4xx status.
    const refused = (error as { statusCode?: number }).statusCode;
    const status = bad ? 400 : missing ? 404 : refused && refused >= 400 && refused < 500 ? refused : 502;
    return reply.status(status).send({ error: messageOf(error) });
  });

  const sendAsset = (reply: FastifyReply, name: string) => {
    const body = assets.get(name);
    if (!body && assets.size === 0)
      return reply.status(503).send({ error: "the console's front end is not built: run npm run build" });
    if (!body) return reply.status(404).send({ error: `no asset ${name}` });
    return reply
      .type(CONTENT_TYPES[extname(name)] ?? 'application/octet-stream')
      .header('cache-control', name === 'index.html' ? 'no-cache' : 'public, max-age=300')
      .send(body);
  };
  app.get('/', (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui', (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui/', (_request, reply) => sendAsset(reply, 'index.html'));
  app.get('/ui/assets/:name', (request, reply) =>
    sendAsset(reply, (request.params as { name: string }).name),
  );

  app.get('/ui/api/config', async () => ({
    tlog: true,
    registry: options.registry?.address ?? null,
    admission: options.admissionUrl !== undefined,
    keyless: options.trustedRoot !== undefined,
  }));

  /** GET `path` of `base` with the request's query, answered as the upstream answered. */
  const forward = async (base: string, path: string, query: Record<string, string>, reply: FastifyReply) => {
    const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    let response: Response;
    try {
      response = await upstream(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new SigilError('SERVICE_ERROR', `${url.origin} is unreachable: ${messageOf(err)}`);
    }
    return reply
      .status(response.status)
      .type(response.headers.get('content-type') ?? 'application/json')
      .send(Buffer.from(await response.arrayBuffer()));
  };
  const query = (request: { query: unknown }) => request.query as Record<string, string>;

  const logRoutes: [string, (params: Record<string, string>) => string][] = [
    ['/ui/api/log/search', () => 'api/v1/console/log/search'],
    ['/ui/api/log/health', () => 'api/v1/console/log/health'],
    ['/ui/api/log/proof', () => 'api/v1/log/proof'],
    ['/ui/api/log/publicKey', () => 'api/v1/log/publicKey'],
    ['/ui/api/log/entries/:uuid', (p) => `api/v1/log/entries/${encodeURIComponent(p.uuid ?? '')}`],
  ];
  for (const [route, path] of logRoutes) {
    app.get(route, (request, reply) =>
      forward(options.tlogUrl, path(request.params as Record<string, string>), query(request), reply),
    );
  }
  app.get('/ui/api/log/entries', (request, reply) =>
    forward(options.tlogUrl, 'api/v1/log/entries', { logIndex: query(request).logIndex ?? '' }, reply),
  );

  const admissionUrl = options.admissionUrl;
  const noAdmission = (reply: FastifyReply) =>
    reply
      .status(404)
      .send({ error: 'no admission webhook configured (sigil console serve --admission-url)' });
  app.get('/ui/api/admissions', (request, reply) =>
    admissionUrl
      ? forward(admissionUrl, 'api/v1/console/admissions', query(request), reply)
      : noAdmission(reply),
  );
  app.get('/ui/api/admissions/:id', (request, reply) =>
    admissionUrl
      ? forward(
          admissionUrl,
          `api/v1/console/admissions/${encodeURIComponent((request.params as { id: string }).id)}`,
          {},
          reply,
        )
      : noAdmission(reply),
  );
  app.get('/ui/api/policyreports', (request, reply) =>
    admissionUrl
      ? forward(admissionUrl, 'api/v1/console/policyreports', query(request), reply)
      : noAdmission(reply),
  );

  app.get('/ui/api/image', async (request, reply) => {
    const registry = options.registry;
    if (!registry)
      return reply.status(404).send({ error: 'no registry configured (sigil console serve --registry)' });
    return imageSupplyChain(registry.client, registryReference(registry.address, query(request).ref ?? ''));
  });
  // The one POST: a question (a pasted key or identity), answered and forgotten. Small bodies only.
  app.post('/ui/api/verify', { bodyLimit: VERIFY_BODY_LIMIT }, async (request, reply) => {
    const registry = options.registry;
    if (!registry)
      return reply.status(404).send({ error: 'no registry configured (sigil console serve --registry)' });
    const question = parseVerifyQuestion(request.body);
    return verifyForConsole(
      registry.client,
      registryReference(registry.address, question.ref),
      question,
      options.trustedRoot,
    );
  });
  return app;
}

/**
 * The reference, in the console's registry: a bare `repo:tag` is taken as in it, and a reference to any
 * other registry is refused, so the console never becomes a way to make the server fetch other hosts.
 */
export function registryReference(address: string, ref: string): string {
  const text = ref.trim();
  if (text === '') throw new SigilError('BAD_INPUT', 'give an image reference (ref=)');
  // Docker's rule: a first component with a dot or a colon, or `localhost`, names a registry.
  const first = text.split('/')[0] ?? '';
  const named = text.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  if (named && first !== address)
    throw new SigilError('BAD_INPUT', `the console reads images from ${address} only, not ${first}`);
  const full = named ? text : `${address}/${text}`;
  parseReference(full);
  return full;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const app = buildConsoleApp(options);
  const url = await listenUrl(app, options.host, options.port);
  return { url: options.tls ? url.replace(/^http:/, 'https:') : url, app, close: () => app.close() };
}
