import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryDecisionCache } from '../../src/admission/index.js';

const allowed = { allowed: true, warnings: [] };

test('memory cache: entries expire after their TTL', async () => {
  let now = 1_000;
  const cache = new MemoryDecisionCache(10, () => now);
  await cache.set('k', allowed, 5);
  assert.deepEqual(await cache.get('k'), allowed);
  now += 5_000;
  assert.equal(await cache.get('k'), undefined);
  assert.equal(cache.size, 0);
});

test('memory cache: the least recently used entry is evicted at the size cap', async () => {
  const cache = new MemoryDecisionCache(2);
  await cache.set('a', allowed, 60);
  await cache.set('b', allowed, 60);
  await cache.get('a'); // a is now more recent than b
  await cache.set('c', allowed, 60);
  assert.equal(cache.size, 2);
  assert.equal(await cache.get('b'), undefined);
  assert.ok(await cache.get('a'));
  assert.ok(await cache.get('c'));
});
