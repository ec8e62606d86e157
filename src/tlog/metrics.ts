/** Prometheus metrics of one log server (`sigil tlog serve`), on a registry of its own. */
import type { Counter, Registry } from 'prom-client';
import { loadPromClient, newMetricsRegistry } from '../core/index.js';
import type { TransparencyLog } from './log.js';

export interface TlogMetrics {
  registry: Registry;
  /** Submissions refused, by reason: invalid, too_large, duplicate, error. */
  refused: Counter<'reason'>;
}

export function createTlogMetrics(log: TransparencyLog): TlogMetrics {
  const { Counter, Gauge, Histogram } = loadPromClient();
  const registry = newMetricsRegistry();
  const appended = new Counter({
    name: 'sigil_tlog_entries_appended_total',
    help: 'Entries integrated into the log by this process, by kind (hashedrekord, dsse, intoto)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const integration = new Histogram({
    name: 'sigil_tlog_integration_duration_seconds',
    help: 'Time from a checked submission to its durable integration (batch wait and write)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'sigil_tlog_batch_entries',
    help: 'Entries per batch written by this process',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [registry],
  });
  new Gauge({
    name: 'sigil_tlog_tree_size',
    help: 'Size of the tree of the latest checkpoint',
    registers: [registry],
    async collect() {
      this.set((await log.checkpoint()).size);
    },
  });
  new Gauge({
    name: 'sigil_tlog_lease_held',
    help: 'Whether this replica integrates entries (holds the lease, PostgreSQL); always 1 on SQLite',
    registers: [registry],
    collect() {
      this.set(log.integrating ? 1 : 0);
    },
  });
  log.observe({
    appended(kind, seconds) {
      appended.inc({ kind });
      integration.observe(seconds);
    },
    batch(entries) {
      batches.observe(entries);
    },
  });
  const refused = new Counter({
    name: 'sigil_tlog_submissions_refused_total',
    help: 'Submissions not logged, by reason (invalid, too_large, duplicate: already in the log, error)',
    labelNames: ['reason'],
    registers: [registry],
  });
  return { registry, refused };
}
