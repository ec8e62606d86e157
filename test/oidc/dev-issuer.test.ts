/** The dev issuer's tokens look like the CI issuers' own: RS256, which cosign needs to take a token inline. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';

describe('dev issuer tokens', () => {
  let issuer: RunningDevIssuer;
  before(async () => {
    issuer = await startDevIssuer('127.0.0.1', 0);
  });
  after(() => issuer.close());

  it('signs RS256 (cosign --identity-token reads any other JWT as a file path) and says so in discovery', async () => {
    const token = await issuer.mint({ kind: 'github-actions', repository: 'org/app' });
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    const discovery = await fetch(`${issuer.issuers['github-actions']}/.well-known/openid-configuration`);
    const document = (await discovery.json()) as { id_token_signing_alg_values_supported: string[] };
    assert.deepEqual(document.id_token_signing_alg_values_supported, ['RS256']);
  });
});
