/**
 * `sigil serve` runs every service in one process: each answers /metrics with its own figures (no
 * registry clash) plus the process's, and /healthz.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { workDir } from '../helpers/cli.js';
import { sample, scrape } from '../helpers/metrics.js';

describe('metrics of the one-process stack', () => {
  let stack: RunningStack;
  before(async () => {
    stack = await startStack({ dataDir: await workDir(), host: '127.0.0.1' });
  });
  after(() => stack.close());

  const services = {
    tlog: 'sigil_tlog_tree_size',
    ca: 'sigil_ca_ct_log_tree_size',
    tsa: 'sigil_tsa_timestamps_issued_total',
    tuf: 'sigil_tuf_metadata_version',
    oidc: 'sigil_oidc_token_requests_refused_total',
  } as const;

  it('each service exposes its own metrics and only its own, with the process metrics', async () => {
    for (const [service, metric] of Object.entries(services)) {
      const text = await scrape(stack.urls[service as keyof typeof services]);
      assert.match(text, new RegExp(`^# TYPE ${metric} `, 'm'), service);
      const others = Object.values(services).filter((name) => name !== metric);
      for (const other of others) assert.doesNotMatch(text, new RegExp(`^# TYPE ${other} `, 'm'), service);
      assert.ok(sample(text, 'process_resident_memory_bytes') !== undefined, service);
    }
  });

  it('each service answers /healthz', async () => {
    for (const service of Object.keys(services)) {
      const response = await fetch(`${stack.urls[service as keyof typeof services]}/healthz`);
      assert.equal(response.status, 200, service);
      assert.equal(((await response.json()) as { status: string }).status, 'ok', service);
    }
  });
});
