/** Prometheus metrics of one CA server (`sigil ca serve`), on a registry of its own. */
import type { Counter, Histogram, Registry } from 'prom-client';
import { loadPromClient, newMetricsRegistry } from '../core/index.js';
import type { CtLog } from './ct-log.js';

export interface CaMetrics {
  registry: Registry;
  issued: Counter;
  /** Requests for a certificate refused, by reason: bad_token, invalid, ct_unavailable, error. */
  refused: Counter<'reason'>;
  issuance: Histogram;
}

export function createCaMetrics(ctLog?: CtLog): CaMetrics {
  const { Counter, Gauge, Histogram } = loadPromClient();
  const registry = newMetricsRegistry();
  if (ctLog) {
    new Gauge({
      name: 'sigil_ca_ct_log_tree_size',
      help: "Entries in the CA's own CT log (precertificates logged)",
      registers: [registry],
      async collect() {
        this.set(await ctLog.treeSize());
      },
    });
  }
  return {
    registry,
    issued: new Counter({
      name: 'sigil_ca_certificates_issued_total',
      help: 'Signing certificates issued',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'sigil_ca_certificates_refused_total',
      help: 'Certificate requests refused, by reason (bad_token, invalid, ct_unavailable, error)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    issuance: new Histogram({
      name: 'sigil_ca_issuance_duration_seconds',
      help: 'Time to issue one certificate: token check, precertificate, CT log, signature',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
