/**
 * The HTTPS webhook: AdmissionReview endpoints, health, readiness and metrics. Kyverno's paths are
 * accepted too (/validate/fail, /validate/ignore, /mutate/fail, /mutate/ignore), their suffix choosing
 * the failurePolicy the webhook configuration registered, so existing webhook configurations carry over.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { readUserFile } from '../core/files.js';
import { isSigilError, loadFastify, messageOf } from '../core/index.js';
import type { DecisionCache } from './cache.js';
import { MemoryDecisionCache } from './cache.js';
import { registerConsoleAdmissionRoutes } from './console-routes.js';
import type { DecisionLog } from './decision-log.js';
import type { AdmissionEndpoint, AdmissionEvaluator, DecisionEvent, FailurePolicy } from './handler.js';
import { AdmissionHandler, parseTimeoutParameter } from './handler.js';
import { type AdmissionMetrics, createAdmissionMetrics } from './metrics.js';

/** A Kubernetes TLS secret mounted as a directory holds its pair as tls.crt and tls.key. */
export function readTlsDirectory(directory: string): { key: Buffer; cert: Buffer } {
  return {
    cert: readUserFile(join(directory, 'tls.crt'), 'TLS secret certificate'),
    key: readUserFile(join(directory, 'tls.key'), 'TLS secret key'),
  };
}

export interface AdmissionServerOptions {
  tls: { key: string | Buffer; cert: string | Buffer };
  evaluate: AdmissionEvaluator;
  /** The current policy generation and, when the last reload failed, why (readiness reports it). */
  policyState: () => { generation: number; error?: string };
  cache?: DecisionCache;
  cacheTtlSeconds?: number;
  /** Metrics made beforehand, when parts built before the server (the image verification cache) count too. */
  metrics?: AdmissionMetrics;
  /** For the plain /validate and /mutate paths; Kyverno's suffixed paths name their own. */
  failurePolicy?: FailurePolicy;
  /** Keeps the recent decisions and reports, served read-only to the console at /api/v1/console/. */
  decisionLog?: DecisionLog;
  /** pino options (JSON lines); off by default so library users and tests stay quiet. */
  logger?: boolean | { level?: string; stream?: { write(line: string): void } };
}

export interface AdmissionServer {
  app: FastifyInstance;
  metrics: AdmissionMetrics;
  handlers: Record<FailurePolicy, AdmissionHandler>;
}

const BODY_LIMIT_BYTES = 3 * 1024 * 1024; // the API server caps objects at about 1.5 MiB; reviews carry two

export function createAdmissionServer(options: AdmissionServerOptions): AdmissionServer {
  const metrics = options.metrics ?? createAdmissionMetrics();
  const cache = options.cache ?? new MemoryDecisionCache();
  const app = loadFastify().fastify({
    https: options.tls,
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
  });
  const shared = {
    evaluate: options.evaluate,
    generation: () => options.policyState().generation,
    cache,
    cacheTtlSeconds: options.cacheTtlSeconds ?? 60,
    metrics,
    onDecision: (event: DecisionEvent) => {
      options.decisionLog?.record(event);
      const { request, endpoint, decision, latencyMs } = event;
      app.log.info(
        {
          uid: request.uid,
          namespace: request.namespace,
          kind: request.kind.kind,
          name: request.name ?? (request.object?.metadata as { name?: string } | undefined)?.name,
          operation: request.operation,
          endpoint,
          decision: decision.allowed ? 'allowed' : 'denied',
          latencyMs: Math.round(latencyMs * 1000) / 1000,
        },
        'admission decision',
      );
    },
  };
  const handlers: Record<FailurePolicy, AdmissionHandler> = {
    Fail: new AdmissionHandler({ ...shared, failurePolicy: 'Fail' }),
    Ignore: new AdmissionHandler({ ...shared, failurePolicy: 'Ignore' }),
  };
  // Garbage bodies (not JSON, not an AdmissionReview) are the client's fault: 400 with the reason.
  app.setErrorHandler((err, _request, reply) => {
    const statusCode = (err as { statusCode?: unknown }).statusCode;
    const clientError =
      isSigilError(err, 'BAD_INPUT') || (typeof statusCode === 'number' && statusCode < 500);
    void reply.code(clientError ? 400 : 500).send({ error: messageOf(err) });
  });

  const routes: [string, AdmissionEndpoint, FailurePolicy][] = [
    ['/validate', 'validate', options.failurePolicy ?? 'Fail'],
    ['/mutate', 'mutate', options.failurePolicy ?? 'Fail'],
    ['/validate/fail', 'validate', 'Fail'],
    ['/validate/ignore', 'validate', 'Ignore'],
    ['/mutate/fail', 'mutate', 'Fail'],
    ['/mutate/ignore', 'mutate', 'Ignore'],
  ];
  for (const [path, endpoint, failurePolicy] of routes) {
    app.post<{ Querystring: { timeout?: string } }>(path, (request) =>
      handlers[failurePolicy].review(request.body, endpoint, parseTimeoutParameter(request.query.timeout)),
    );
  }

  const live = async () => ({ status: 'ok' });
  const ready = async (_request: unknown, reply: { code(n: number): unknown }) => {
    const state = options.policyState();
    if (state.error) {
      reply.code(503);
      return { status: 'not ready', generation: state.generation, error: state.error };
    }
    return { status: 'ok', generation: state.generation };
  };
  app.get('/health/liveness', live);
  app.get('/healthz', live);
  app.get('/health/readiness', ready);
  app.get('/readyz', ready);
  if (options.decisionLog) registerConsoleAdmissionRoutes(app, options.decisionLog);
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return { app, metrics, handlers };
}
