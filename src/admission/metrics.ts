/** Prometheus metrics of the webhook, on a registry of its own so several servers in one process don't clash. */
import { Counter, Histogram, Registry } from 'prom-client';

export interface AdmissionMetrics {
  registry: Registry;
  decisions: Counter<'endpoint' | 'result'>;
  latency: Histogram<'endpoint'>;
  cacheLookups: Counter<'result'>;
  imageVerifyCacheLookups: Counter<'result'>;
  tagResolutionLookups: Counter<'result'>;
  policyReloads: Counter<'result'>;
}

export function createAdmissionMetrics(): AdmissionMetrics {
  const registry = new Registry();
  return {
    registry,
    decisions: new Counter({
      name: 'sigil_admission_decisions_total',
      help: 'Admission decisions by endpoint and result (allowed, denied, error)',
      labelNames: ['endpoint', 'result'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'sigil_admission_review_duration_seconds',
      help: 'Time to answer one AdmissionReview',
      labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'sigil_admission_cache_lookups_total',
      help: 'Decision cache lookups by result (hit, miss)',
      labelNames: ['result'],
      registers: [registry],
    }),
    imageVerifyCacheLookups: new Counter({
      name: 'sigil_admission_image_verify_cache_lookups_total',
      help: 'Image verification cache lookups by result (hit, joined: a verification under way, miss)',
      labelNames: ['result'],
      registers: [registry],
    }),
    tagResolutionLookups: new Counter({
      name: 'sigil_admission_tag_resolution_lookups_total',
      help: 'Tag resolution cache lookups by result (hit, joined: a resolution under way, miss: asked the registry)',
      labelNames: ['result'],
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: 'sigil_admission_policy_reloads_total',
      help: 'Policy reloads by result (ok, error)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
