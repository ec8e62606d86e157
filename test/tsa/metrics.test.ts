/** The TSA's /metrics and /healthz: timestamps issued, and refused by reason. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTsaMaterial, type RunningTsa, requestTimestamp, startTsa } from '../../src/tsa/index.js';
import { sample, scrape } from '../helpers/metrics.js';

describe('TSA metrics', () => {
  let tsa: RunningTsa;
  before(async () => {
    tsa = await startTsa({ host: '127.0.0.1', port: 0, ...(await createTsaMaterial()) });
  });
  after(() => tsa.close());

  const post = async (contentType: string, body: string | Buffer) => {
    const response = await fetch(`${tsa.url}/api/v1/timestamp`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('counts timestamps issued and refusals by reason', async () => {
    assert.equal(sample(await scrape(tsa.url), 'sigil_tsa_timestamps_issued_total'), 0);
    await requestTimestamp(tsa.url, Buffer.from('a signature'));
    assert.equal(await post('application/timestamp-query', Buffer.from('not DER')), 400);
    assert.equal(await post('text/plain', 'hello'), 415);
    assert.equal(await post('application/timestamp-query', Buffer.alloc(64 * 1024)), 413);
    const text = await scrape(tsa.url);
    assert.equal(sample(text, 'sigil_tsa_timestamps_issued_total'), 1);
    assert.equal(sample(text, 'sigil_tsa_timestamps_refused_total', { reason: 'invalid' }), 1);
    assert.equal(sample(text, 'sigil_tsa_timestamps_refused_total', { reason: 'unsupported_media_type' }), 1);
    assert.equal(sample(text, 'sigil_tsa_timestamps_refused_total', { reason: 'too_large' }), 1);
  });

  it('answers /healthz', async () => {
    const response = await fetch(`${tsa.url}/healthz`);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });
});
