/**
 * The decision cache must never hand one request's verdict to a request a policy could tell apart: a
 * policy that excludes pods by name (or labels, or user) decides differently for the same images.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AdmissionHandler, createAdmissionMetrics, MemoryDecisionCache } from '../../src/admission/index.js';
import { metadataOf } from '../../src/policy/index.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'admission', 'create-pod.json');

function review(name: string, labels: Record<string, string> = {}, username = 'admin'): unknown {
  const body = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  body.request.name = name;
  body.request.object.metadata.name = name;
  body.request.object.metadata.labels = labels;
  body.request.userInfo.username = username;
  return body;
}

test('requests that differ in name, labels or user are decided, not served from the cache', async () => {
  let evaluations = 0;
  const handler = new AdmissionHandler({
    // Stands in for a policy with exclude: names [trusted-*], selector tier=system, subjects User ci-bot.
    evaluate: async (request) => {
      evaluations++;
      const labels = metadataOf(request.object).labels;
      const allowed =
        (request.name ?? '').startsWith('trusted-') ||
        labels.tier === 'system' ||
        request.userInfo.username === 'ci-bot';
      return { allowed, warnings: [] };
    },
    generation: () => 1,
    cache: new MemoryDecisionCache(),
    cacheTtlSeconds: 60,
    failurePolicy: 'Fail',
    metrics: createAdmissionMetrics(),
  });
  const allowed = async (body: unknown) => (await handler.review(body, 'validate')).response.allowed;
  assert.equal(await allowed(review('trusted-a')), true);
  assert.equal(await allowed(review('evil')), false);
  assert.equal(await allowed(review('b', { tier: 'system' })), true);
  assert.equal(await allowed(review('b', { tier: 'app' })), false);
  assert.equal(await allowed(review('c', {}, 'ci-bot')), true);
  assert.equal(await allowed(review('c', {}, 'mallory')), false);
  assert.equal(evaluations, 6);
  assert.equal(await allowed(review('evil')), false, 'the same request again comes from the cache');
  assert.equal(evaluations, 6);
});
