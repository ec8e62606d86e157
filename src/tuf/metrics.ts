/**
 * Prometheus metrics of one TUF server (`sigil tuf serve`), on a registry of its own: the published
 * metadata's versions and time to expiry, read from the repository at each scrape (the files, not this
 * process, are the truth: `sigil tuf` commands publish beside the server), and its re-signing timer's results.
 */
import type { Counter, Registry } from 'prom-client';
import { loadPromClient, newMetricsRegistry } from '../core/index.js';
import { TOP_LEVEL_ROLES } from './metadata.js';
import { TufRepository } from './repository.js';

export interface TufMetrics {
  registry: Registry;
  /** Refreshes of the online roles by result: ok, error. */
  refreshes: Counter<'result'>;
}

export function createTufMetrics(dir: string): TufMetrics {
  const { Counter, Gauge } = loadPromClient();
  const registry = newMetricsRegistry();
  const published = () => TufRepository.open(dir).published;
  new Gauge({
    name: 'sigil_tuf_metadata_version',
    help: 'Version of each published top-level role (root, targets, snapshot, timestamp)',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const roles = published();
      for (const role of TOP_LEVEL_ROLES) this.set({ role }, roles[role].version);
    },
  });
  new Gauge({
    name: 'sigil_tuf_metadata_expiry_seconds',
    help: 'Seconds until each published role expires (negative once expired); alert on timestamp',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const roles = published();
      const now = Date.now();
      for (const role of TOP_LEVEL_ROLES) this.set({ role }, (Date.parse(roles[role].expires) - now) / 1000);
    },
  });
  const refreshes = new Counter({
    name: 'sigil_tuf_refreshes_total',
    help: 'Checks of the online roles for re-signing, by result (ok, error)',
    labelNames: ['result'],
    registers: [registry],
  });
  return { registry, refreshes };
}
