/**
 * Which images a verifyImages entry selects, and that the selections kept per entry never outlive it: a
 * reloaded policy (new entries) with other patterns decides afresh, and entries never share selections.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/index.js';
import { imageSelection } from '../../src/policy/image-patterns.js';
import type { ImageVerification, PolicySet } from '../../src/policy/index.js';
import { unloggedKeyVerification, verifyImagesPolicy } from '../helpers/kyverno-policy.js';

const key = generateKeyPair('ecdsa-p256').publicKey;

function entry(extra: Record<string, unknown>, pattern = 'reg.io/team/*'): ImageVerification {
  const set: PolicySet = verifyImagesPolicy('p', [unloggedKeyVerification(pattern, key, extra)]);
  const verification = set.policies[0]?.rules[0]?.verifyImages[0];
  assert.ok(verification);
  return verification;
}

describe('imageSelection', () => {
  it('verifies, skips or leaves alone, by imageReferences and skipImageReferences (written and qualified forms)', () => {
    const e = entry({ skipImageReferences: ['reg.io/team/debug*'] });
    assert.equal(imageSelection(e, 'reg.io/team/app:v1'), 'verify');
    assert.equal(imageSelection(e, 'reg.io/team/debug:v1'), 'skip');
    assert.equal(imageSelection(e, 'reg.io/other/app:v1'), 'none');
    const hub = entry({}, 'docker.io/library/nginx:*');
    assert.equal(imageSelection(hub, 'nginx'), 'none', 'qualified as index.docker.io/library/nginx:latest');
    assert.equal(imageSelection(entry({}, 'index.docker.io/library/nginx:*'), 'nginx'), 'verify');
  });

  it('decides afresh for a reloaded entry: a selection never outlives the entry that made it', () => {
    const before = entry({});
    assert.equal(imageSelection(before, 'reg.io/team/debug:v1'), 'verify');
    const reloaded = entry({ skipImageReferences: ['reg.io/team/debug*'] });
    assert.equal(imageSelection(reloaded, 'reg.io/team/debug:v1'), 'skip');
    const narrowed = entry({}, 'reg.io/team/app*');
    assert.equal(imageSelection(narrowed, 'reg.io/team/debug:v1'), 'none');
    assert.equal(imageSelection(before, 'reg.io/team/debug:v1'), 'verify', 'each entry keeps its own');
  });
});
