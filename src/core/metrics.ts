/**
 * Prometheus metrics for the services (log, CA, TSA, TUF, OIDC): one registry per server instance, so
 * several servers in one process (`sigil serve`) never register the same name twice, and prom-client
 * loaded only when a server is built, so one-shot commands do not pay for it.
 *
 * The process's own figures (CPU, memory, event-loop lag, open files) are collected once per process, on
 * a registry of their own, and appended to every server's answer: each scraped endpoint then describes
 * the process behind it, whether that process runs one service (the chart) or all of them (`sigil serve`),
 * and no registry ever holds them twice.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { lazy, lazyRequire } from './lazy.js';

export const loadPromClient = lazyRequire<typeof import('prom-client')>('prom-client');

const processRegistry = lazy(() => {
  const prom = loadPromClient();
  const registry = new prom.Registry();
  // Unprefixed: process_* and nodejs_* are the names every exporter and dashboard uses for these.
  prom.collectDefaultMetrics({ register: registry });
  return registry;
});

/** A fresh registry for one server instance. */
export function newMetricsRegistry(): Registry {
  return new (loadPromClient().Registry)();
}

/** The exposition text of `registry` followed by the process's own metrics. */
export async function exposition(registry: Registry): Promise<{ contentType: string; body: string }> {
  const own = await registry.metrics();
  const process = await processRegistry().metrics();
  return { contentType: registry.contentType, body: `${own}\n${process}` };
}

/** `GET /metrics` on a fastify app, answering from `registry`. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await exposition(registry);
    return reply.type(contentType).send(body);
  });
}
