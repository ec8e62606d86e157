/** The TUF server's /metrics and /healthz: published versions and time to expiry, read at each scrape. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type RunningTufServer, startTufServer, TufRepository } from '../../src/tuf/index.js';
import { workDir } from '../helpers/cli.js';
import { sample, scrape } from '../helpers/metrics.js';

describe('TUF server metrics', () => {
  let server: RunningTufServer | undefined;
  after(() => server?.close());

  it('reports each role version, seconds to expiry, and a new targets version once published', async () => {
    const dir = join(await workDir(), 'tuf');
    const repository = await TufRepository.init(dir, {});
    await repository.publishTargets([{ name: 'a.json', bytes: Buffer.from('{"a":1}\n') }]);
    server = await startTufServer({ dir, host: '127.0.0.1', port: 0, refreshIntervalMs: 2 ** 30 });

    const text = await scrape(server.url);
    const targets = sample(text, 'sigil_tuf_metadata_version', { role: 'targets' }) ?? 0;
    assert.ok(targets >= 1);
    assert.equal(sample(text, 'sigil_tuf_metadata_version', { role: 'root' }), 1);
    const expiry = sample(text, 'sigil_tuf_metadata_expiry_seconds', { role: 'timestamp' }) ?? 0;
    assert.ok(expiry > 0 && expiry <= 86_400 * 7, `timestamp expires in ${expiry} s`);
    assert.equal(sample(text, 'sigil_tuf_refreshes_total', { result: 'ok' }), 1);

    await TufRepository.open(dir).publishTargets([{ name: 'a.json', bytes: Buffer.from('{"a":2}\n') }]);
    const republished = await scrape(server.url);
    assert.equal(sample(republished, 'sigil_tuf_metadata_version', { role: 'targets' }), targets + 1);
  });

  it('answers /healthz, and still 404 for names outside the repository layout', async () => {
    assert.ok(server);
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const other = await fetch(`${server.url}/keys/root.pem`);
    assert.equal(other.status, 404);
    await other.arrayBuffer();
  });
});
