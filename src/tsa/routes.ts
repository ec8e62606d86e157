/**
 * sigstore timestamp-authority's HTTP API: `POST /api/v1/timestamp` (DER `application/timestamp-query`
 * or its JSON form, answered with DER `application/timestamp-reply`, 200) and
 * `GET /api/v1/timestamp/certchain` (PEM, leaf first). Errors are `{"code","message"}` as there.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { isSigilError, listenUrl, loadFastify, registerMetricsRoute, SigilError } from '../core/index.js';
import { type LoadTsaOptions, loadTsa, type Tsa } from './authority.js';
import { createTsaMetrics, type TsaMetrics } from './metrics.js';
import { timestampRequestFromJson } from './request.js';

export const TIMESTAMP_PATH = '/api/v1/timestamp';
export const CERTCHAIN_PATH = '/api/v1/timestamp/certchain';

/** A TimeStampReq is ~100 bytes; sigstore caps its JSON form at 1 KiB. Room to spare, no more. */
const MAX_REQUEST_BYTES = 8 * 1024;

/**
 * Adds the TSA routes to `app`, in their own encapsulated scope so that the DER body parser and the
 * JSON error shape apply to these routes only, not to whatever else the app serves. Timestamps issued and
 * refused are counted on `metrics`.
 */
export function registerTsaRoutes(app: FastifyInstance, tsa: Tsa, metrics: TsaMetrics): void {
  app.register(tsaPlugin(tsa, metrics));
}

function tsaPlugin(tsa: Tsa, metrics: TsaMetrics): FastifyPluginAsync {
  return async (scope) => {
    scope.addContentTypeParser(
      'application/timestamp-query',
      { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES },
      (_request, body, done) => done(null, body),
    );
    scope.setErrorHandler((error, request, reply) => {
      const status = errorStatus(error);
      if (request.routeOptions.url === TIMESTAMP_PATH) metrics.refused.inc({ reason: refusalReason(status) });
      return reply.status(status).send({ code: status, message: (error as Error).message });
    });

    scope.post(TIMESTAMP_PATH, { bodyLimit: MAX_REQUEST_BYTES }, async (request, reply) => {
      const response = await tsa.timestamp(requestDer(request.headers['content-type'], request.body));
      metrics.issued.inc();
      return reply.status(200).type('application/timestamp-reply').send(Buffer.from(response));
    });

    scope.get(CERTCHAIN_PATH, async (_request, reply) =>
      reply.type('application/pem-certificate-chain').send(tsa.chainPem),
    );
  };
}

/** A refused request is 400; fastify's own 4xx (415 media type, 413 size) keep their status. */
function errorStatus(error: unknown): number {
  if (isSigilError(error))
    return isSigilError(error, 'BAD_INPUT') || isSigilError(error, 'BAD_JSON') ? 400 : 500;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

function refusalReason(status: number): string {
  if (status === 413) return 'too_large';
  if (status === 415) return 'unsupported_media_type';
  return status < 500 ? 'invalid' : 'error';
}

/**
 * The DER TimeStampReq in a request body. Only the two media types sigstore's TSA consumes are taken
 * (fastify would also hand over text/plain); anything else is 415, as there.
 */
function requestDer(contentType: string | undefined, body: unknown): Buffer {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/timestamp-query' && mediaType !== 'application/json') {
    throw Object.assign(
      new Error(
        `content type ${JSON.stringify(contentType ?? '')} is not application/timestamp-query or application/json`,
      ),
      { statusCode: 415 },
    );
  }
  // An empty body never reaches a parser; say so rather than complain about its absent structure.
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) {
    throw new SigilError('BAD_INPUT', 'timestamp request body is empty');
  }
  return Buffer.isBuffer(body) ? body : timestampRequestFromJson(body);
}

export interface StartTsaOptions extends LoadTsaOptions {
  host: string;
  port: number;
}

export interface RunningTsa {
  /** Base URL; the timestamp endpoint is `${url}/api/v1/timestamp`. */
  url: string;
  tsa: Tsa;
  close(): Promise<void>;
}

export async function startTsa(options: StartTsaOptions): Promise<RunningTsa> {
  const { host, port, ...material } = options;
  const tsa = loadTsa(material);
  const app = loadFastify().fastify({ logger: false });
  const metrics = createTsaMetrics();
  registerTsaRoutes(app, tsa, metrics);
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerMetricsRoute(app, metrics.registry);
  return { url: await listenUrl(app, host, port), tsa, close: () => app.close() };
}
