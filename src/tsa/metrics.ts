/** Prometheus metrics of one timestamp authority server (`sigil tsa serve`), on a registry of its own. */
import type { Counter, Registry } from 'prom-client';
import { loadPromClient, newMetricsRegistry } from '../core/index.js';

export interface TsaMetrics {
  registry: Registry;
  issued: Counter;
  /** Timestamp requests refused, by reason: invalid, unsupported_media_type, too_large, error. */
  refused: Counter<'reason'>;
}

export function createTsaMetrics(): TsaMetrics {
  const { Counter } = loadPromClient();
  const registry = newMetricsRegistry();
  return {
    registry,
    issued: new Counter({
      name: 'sigil_tsa_timestamps_issued_total',
      help: 'RFC 3161 timestamps issued',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'sigil_tsa_timestamps_refused_total',
      help: 'Timestamp requests refused, by reason (invalid, unsupported_media_type, too_large, error)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
