/** The dev OIDC issuer's /metrics and /healthz: tokens minted by kind, refused requests. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { sample, scrape } from '../helpers/metrics.js';

describe('dev issuer metrics', () => {
  let oidc: RunningDevIssuer;
  before(async () => {
    oidc = await startDevIssuer('127.0.0.1', 0);
  });
  after(() => oidc.close());

  const token = async (body: unknown) => {
    const response = await fetch(`${oidc.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('counts tokens minted over HTTP by kind, and refused requests', async () => {
    assert.equal(await token({ email: 'dev@example.com' }), 200);
    assert.equal(await token({ kind: 'gitlab' }), 200);
    assert.equal(await token({ kind: 'nonsense' }), 400);
    const text = await scrape(oidc.url);
    assert.equal(sample(text, 'sigil_oidc_tokens_issued_total', { kind: 'email' }), 1);
    assert.equal(sample(text, 'sigil_oidc_tokens_issued_total', { kind: 'gitlab' }), 1);
    assert.equal(sample(text, 'sigil_oidc_token_requests_refused_total'), 1);
  });

  it('answers /healthz', async () => {
    const response = await fetch(`${oidc.url}/healthz`);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });
});
