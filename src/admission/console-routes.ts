/**
 * Read-only routes for the web console on the webhook's own HTTPS server: the recent decisions (filtered
 * by namespace, policy and result, with per-minute counts), one decision by its review uid, and the
 * latest PolicyReports. They reveal what the API server already sent; no credentials, no writes.
 */
import type { FastifyInstance } from 'fastify';
import { SigilError } from '../core/index.js';
import type { DecisionFilter, DecisionLog } from './decision-log.js';

export function registerConsoleAdmissionRoutes(app: FastifyInstance, log: DecisionLog): void {
  app.get('/api/v1/console/admissions', async (request) => {
    const filter = decisionFilter(request.query as Record<string, string | undefined>);
    return { decisions: log.decisions(filter), counts: log.counts({ ...filter, limit: undefined }) };
  });
  app.get('/api/v1/console/admissions/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const decision = log.decision(id);
    if (!decision)
      return reply.code(404).send({ error: `no recent decision ${id} (the ring keeps the newest)` });
    return decision;
  });
  app.get('/api/v1/console/policyreports', async (request) => {
    const { namespace } = request.query as { namespace?: string };
    return { reports: log.policyReports(namespace || undefined) };
  });
}

function decisionFilter(query: Record<string, string | undefined>): DecisionFilter {
  const filter: DecisionFilter = {};
  if (query.namespace) filter.namespace = query.namespace;
  if (query.policy) filter.policy = query.policy;
  if (query.result) {
    if (query.result !== 'allowed' && query.result !== 'denied')
      throw new SigilError('BAD_INPUT', `result must be allowed or denied, not "${query.result}"`);
    filter.result = query.result;
  }
  if (query.limit) {
    if (!/^[1-9][0-9]{0,4}$/.test(query.limit))
      throw new SigilError('BAD_INPUT', `limit must be a positive integer, not "${query.limit}"`);
    filter.limit = Number(query.limit);
  }
  return filter;
}
