import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSimpleSigningPayload, parseSimpleSigningPayload } from '../../src/formats/index.js';
import { parseReference } from '../../src/oci/reference.js';
import { claimProblems } from '../../src/verify/claims.js';

const DIGEST = `sha256:${'1'.repeat(64)}` as const;
const OTHER = `sha256:${'2'.repeat(64)}` as const;
const image = parseReference('ghcr.io/org/app:v1');

function claims(reference: string, digest = DIGEST, annotations?: Record<string, string>) {
  return parseSimpleSigningPayload(buildSimpleSigningPayload(reference, digest, annotations), 'test');
}

describe('signature claims', () => {
  const want = { digest: DIGEST, repository: image, checkDockerReference: true };

  it('accepts a payload for this digest and repository, with or without tag in the claim', () => {
    assert.deepEqual(claimProblems(claims('ghcr.io/org/app'), want), []);
    assert.deepEqual(claimProblems(claims('ghcr.io/org/app:v2'), want), []);
  });

  it('rejects another digest', () => {
    assert.match(claimProblems(claims('ghcr.io/org/app', OTHER), want).join(), /payload is for digest/);
  });

  it('rejects another repository unless the check is off', () => {
    assert.match(claimProblems(claims('ghcr.io/org/evil'), want).join(), /docker-reference/);
    assert.match(claimProblems(claims('not a reference'), want).join(), /docker-reference/);
    assert.deepEqual(claimProblems(claims('ghcr.io/org/evil'), { ...want, checkDockerReference: false }), []);
  });

  it('requires every annotation with the exact value', () => {
    const signed = claims('ghcr.io/org/app', DIGEST, { env: 'prod', team: 'a' });
    assert.deepEqual(claimProblems(signed, { ...want, annotations: { env: 'prod' } }), []);
    assert.match(
      claimProblems(signed, { ...want, annotations: { env: 'dev' } }).join(),
      /annotation env=dev/,
    );
    assert.match(
      claimProblems(claims('ghcr.io/org/app'), { ...want, annotations: { env: 'prod' } }).join(),
      /annotation/,
    );
  });
});
