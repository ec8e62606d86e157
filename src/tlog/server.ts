/**
 * Rekor v1 REST routes over the log (`sigil tlog serve`): the paths, status codes and JSON shapes that
 * rekor-cli, cosign and @sigstore/sign expect. Errors are Rekor's `{"code","message"}` objects.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  fromBase64,
  isRecord,
  isSigilError,
  loadFastify,
  registerMetricsRoute,
  sha256,
} from '../core/index.js';
import { loadPublicKeyPem, publicKeyPem } from '../crypto/index.js';
import { registerConsoleLogRoutes } from './console-routes.js';
import { acceptProposedEntry } from './kinds.js';
import type { TransparencyLog } from './log.js';
import { createTlogMetrics } from './metrics.js';
import { registerTileRoutes } from './tiles.js';

export interface TlogServerOptions {
  /** Largest accepted request body; larger submissions are rejected with 400. */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_BODY = 1024 * 1024;
const SUBMISSION_PATHS = new Set(['/api/v1/log/entries', '/api/v2/log/entries']);

function isSubmission(request: FastifyRequest): boolean {
  return request.method === 'POST' && SUBMISSION_PATHS.has(request.routeOptions.url ?? '');
}

export function buildTlogApp(log: TransparencyLog, options: TlogServerOptions = {}): FastifyInstance {
  const app = loadFastify().fastify({ logger: false, bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY });
  const metrics = createTlogMetrics(log);
  app.setErrorHandler((error, request, reply) => {
    if (isSubmission(request)) metrics.refused.inc({ reason: refusalReason(error) });
    if (error instanceof HttpError)
      return reply.status(error.status).send({ code: error.status, message: error.message });
    if (isBadRequest(error)) return reply.status(400).send({ code: 400, message: (error as Error).message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413)
      return reply.status(400).send({
        code: 400,
        message: `request body larger than ${options.maxBodyBytes ?? DEFAULT_MAX_BODY} bytes`,
      });
    if (status && status >= 400 && status < 500)
      return reply.status(400).send({ code: 400, message: (error as Error).message });
    return reply.status(500).send({ code: 500, message: (error as Error).message });
  });

  app.post('/api/v1/log/entries', async (request, reply) => {
    const { uuid, entry, existing } = await log.add(request.body);
    reply.header('Location', `/api/v1/log/entries/${uuid}`).header('ETag', uuid);
    if (existing) {
      metrics.refused.inc({ reason: 'duplicate' });
      return reply.status(409).send({
        code: 409,
        message: `An equivalent entry already exists in the transparency log with UUID ${uuid}`,
      });
    }
    return reply.status(201).send({ [uuid]: entry });
  });

  app.post('/api/v2/log/entries', async (request, reply) => {
    const { entry, existing } = await log.addV2(request.body);
    if (existing) metrics.refused.inc({ reason: 'duplicate' });
    return reply.status(existing ? 409 : 201).send(entry);
  });

  app.get('/api/v1/log/entries/:uuid', async (request) => {
    const { uuid } = request.params as { uuid: string };
    const found = await log.byUuid(uuid);
    if (!found) throw new HttpError(404, `entry ${uuid} not found`);
    return { [found.uuid]: found.entry };
  });

  app.get('/api/v1/log/entries', async (request) => {
    const index = nonNegativeInt((request.query as Record<string, string>).logIndex, 'logIndex');
    const found = await log.byIndex(index);
    if (!found) throw new HttpError(404, `no entry at log index ${index}`);
    return { [found.uuid]: found.entry };
  });

  app.post('/api/v1/log/entries/retrieve', async (request) => {
    const body = isRecord(request.body) ? request.body : {};
    const uuids = Array.isArray(body.entryUUIDs) ? body.entryUUIDs : [];
    const indexes = Array.isArray(body.logIndexes) ? body.logIndexes : [];
    // Proposed entries (what `rekor-cli verify --artifact --signature` sends) are found by the leaf hash
    // of their canonical body, which accepting them computes (and checks their signatures on the way).
    const proposed = Array.isArray(body.entries) ? body.entries : [];
    if (uuids.length + indexes.length + proposed.length === 0) {
      throw new HttpError(400, 'give entryUUIDs, logIndexes or entries');
    }
    const leafHashes = proposed.map((entry) => acceptProposedEntry(entry).leafHash.toString('hex'));
    const found = [
      ...(await Promise.all([...uuids.map(String), ...leafHashes].map((u) => log.byUuid(u)))),
      ...(await Promise.all(indexes.map((i) => log.byIndex(nonNegativeInt(String(i), 'logIndexes'))))),
    ];
    return found.flatMap((f) => (f ? [{ [f.uuid]: f.entry }] : []));
  });

  app.post('/api/v1/index/retrieve', async (request) => {
    const body = isRecord(request.body) ? request.body : {};
    const keys: string[] = [];
    if (typeof body.hash === 'string')
      keys.push(body.hash.includes(':') ? body.hash.toLowerCase() : `sha256:${body.hash.toLowerCase()}`);
    if (isRecord(body.publicKey) && typeof body.publicKey.content === 'string') {
      const key = loadPublicKeyPem(
        fromBase64(body.publicKey.content, 'publicKey.content').toString('utf8'),
        'publicKey.content',
      );
      keys.push(`key:${sha256(key.export({ type: 'spki', format: 'der' })).toString('hex')}`);
    }
    if (typeof body.email === 'string') keys.push(`email:${body.email.toLowerCase()}`);
    if (keys.length === 0) throw new HttpError(400, 'give hash, publicKey or email to search for');
    const results = await Promise.all(keys.map((k) => log.search(k)));
    const operator = body.operator === 'and' ? 'and' : 'or';
    const combined =
      operator === 'and'
        ? (results[0] ?? []).filter((u) => results.every((r) => r.includes(u)))
        : [...new Set(results.flat())];
    return combined;
  });

  app.get('/api/v1/log', async () => {
    const checkpoint = await log.checkpoint();
    return {
      inactiveShards: [],
      rootHash: checkpoint.rootHash.toString('hex'),
      signedTreeHead: checkpoint.note,
      treeID: log.treeId.toString(),
      treeSize: checkpoint.size,
    };
  });

  app.get('/api/v1/log/proof', async (request) => {
    const query = request.query as Record<string, string>;
    const lastSize = nonNegativeInt(query.lastSize, 'lastSize');
    const firstSize = query.firstSize === undefined ? 1 : nonNegativeInt(query.firstSize, 'firstSize');
    return log.consistency(firstSize, lastSize);
  });

  // Liveness and the replica's role: every replica serves, `integrating` tells which one holds the lease.
  app.get('/healthz', async () => ({ status: 'ok', integrating: log.integrating }));
  registerMetricsRoute(app, metrics.registry);

  app.get('/api/v1/log/publicKey', async (_request, reply) =>
    reply.header('Content-Type', 'application/x-pem-file').send(publicKeyPem(log.key.publicKey)),
  );

  registerTileRoutes(app, log);
  registerConsoleLogRoutes(app, log);
  return app;
}

/** Why a submission failed, as the refusal counter's label; the same split as the statuses answered. */
function refusalReason(error: unknown): 'too_large' | 'invalid' | 'error' {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 413) return 'too_large';
  if (error instanceof HttpError || isBadRequest(error)) return 'invalid';
  return status !== undefined && status >= 400 && status < 500 ? 'invalid' : 'error';
}

function isBadRequest(error: unknown): boolean {
  return (
    isSigilError(error, 'BAD_INPUT') ||
    isSigilError(error, 'BAD_JSON') ||
    isSigilError(error, 'BAD_KEY') ||
    isSigilError(error, 'BAD_PEM')
  );
}

function nonNegativeInt(value: string | undefined, name: string): number {
  if (value === undefined || !/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new HttpError(400, `${name} must be a non-negative integer, got ${JSON.stringify(value ?? null)}`);
  }
  return Number(value);
}
