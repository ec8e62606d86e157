/** The dev issuer's tokens look like the CI issuers' own: RS256, which cosign needs to take a token inline. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { tokenFromGitHubActions } from '../../src/oidc/sources/index.js';

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

  it("answers GitHub's job token request with the job's claims, for a local Actions runner", async () => {
    const { token, source } = await tokenFromGitHubActions({
      ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/github-actions/token?repository=org/app&ref=refs/tags/v1&workflow=release.yml&event=release`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'job-token',
    });
    assert.equal(source, 'GitHub Actions');
    const claims = decodeJwt(token);
    assert.equal(claims.iss, issuer.issuers['github-actions']);
    assert.equal(claims.aud, 'sigstore');
    assert.equal(claims.sub, 'repo:org/app:ref:refs/tags/v1');
    assert.equal(claims.job_workflow_ref, 'org/app/.github/workflows/release.yml@refs/tags/v1');
    assert.equal(claims.event_name, 'release');
  });

  it('refuses a GitHub-style token request without a bearer token, as GitHub does', async () => {
    const answer = await fetch(`${issuer.url}/github-actions/token?audience=sigstore`);
    assert.equal(answer.status, 401);
  });
});
