/** The log's /metrics and /healthz: Prometheus text, counters moved by real submissions and refusals. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningTlog, startTlog } from '../../src/tlog/index.js';
import { workDir } from '../helpers/cli.js';
import { sample, scrape } from '../helpers/metrics.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

describe('log metrics', () => {
  let tlog: RunningTlog;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async () => {
    tlog = await startTlog({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await workDir(), 'tlog'),
      intervalMs: 5,
    });
  });
  after(() => tlog.close());

  const submit = (body: unknown) =>
    fetch(`${tlog.url}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('counts appended entries by kind, batches, tree size and the lease', async () => {
    const before = await scrape(tlog.url);
    assert.equal(sample(before, 'sigil_tlog_tree_size'), 0);
    assert.equal(sample(before, 'sigil_tlog_lease_held'), 1);
    assert.equal(sample(before, 'sigil_tlog_entries_appended_total', { kind: 'hashedrekord' }), undefined);

    assert.equal((await submit(await signedHashedRekord(privateKey, 'one'))).status, 201);
    assert.equal((await submit(await signedHashedRekord(privateKey, 'two'))).status, 201);
    const text = await scrape(tlog.url);
    assert.equal(sample(text, 'sigil_tlog_entries_appended_total', { kind: 'hashedrekord' }), 2);
    assert.equal(sample(text, 'sigil_tlog_tree_size'), 2);
    assert.equal(sample(text, 'sigil_tlog_integration_duration_seconds_count'), 2);
    assert.equal(sample(text, 'sigil_tlog_batch_entries_sum'), 2);
    // The process's own figures come along, under their usual names.
    assert.ok((sample(text, 'process_cpu_user_seconds_total') ?? -1) >= 0);
  });

  it('counts refused submissions by reason', async () => {
    const entry = await signedHashedRekord(privateKey, 'again');
    assert.equal((await submit(entry)).status, 201);
    assert.equal((await submit(entry)).status, 409);
    const forged = await signedHashedRekord(privateKey, 'forged');
    forged.spec.data.hash.value = 'a'.repeat(64);
    assert.equal((await submit(forged)).status, 400);
    assert.equal((await submit({ kind: 'nonsense' })).status, 400);
    const huge = await submit({ padding: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(huge.status, 400);
    const text = await scrape(tlog.url);
    assert.equal(sample(text, 'sigil_tlog_submissions_refused_total', { reason: 'duplicate' }), 1);
    assert.equal(sample(text, 'sigil_tlog_submissions_refused_total', { reason: 'invalid' }), 2);
    assert.equal(sample(text, 'sigil_tlog_submissions_refused_total', { reason: 'too_large' }), 1);
    // A duplicate is not a new entry.
    assert.equal(sample(text, 'sigil_tlog_tree_size'), 3);
  });

  it('answers /healthz with the replica role', async () => {
    const response = await fetch(`${tlog.url}/healthz`);
    assert.deepEqual(await response.json(), { status: 'ok', integrating: true });
  });
});
