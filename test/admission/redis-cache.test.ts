import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { AdmissionHandler, createAdmissionMetrics, RedisDecisionCache } from '../../src/admission/index.js';
import { commandExists, peerMissing } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { startRedis } from '../helpers/redis.js';

const skip = peerMissing('redis-server', commandExists('redis-server'));

describe('Redis decision cache shared by two webhook replicas', { skip }, () => {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let url = '';
  const caches: RedisDecisionCache[] = [];

  before(async () => {
    redis = await startRedis();
    url = redis.url;
  });
  after(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await redis?.stop();
  });

  test('a decision made by one replica is served by the other without evaluating', async () => {
    let evaluations = 0;
    const replica = async () => {
      const cache = await RedisDecisionCache.connect(url);
      caches.push(cache);
      return new AdmissionHandler({
        evaluate: async () => {
          evaluations++;
          return {
            allowed: true,
            warnings: [],
            patch: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }],
          };
        },
        generation: () => 7,
        cache,
        cacheTtlSeconds: 30,
        failurePolicy: 'Fail',
        metrics: createAdmissionMetrics(),
      });
    };
    const review = JSON.parse(readFileSync('test/fixtures/admission/create-pod.json', 'utf8')) as unknown;
    const first = await (await replica()).review(review, 'mutate');
    const second = await (await replica()).review(review, 'mutate');
    assert.equal(evaluations, 1);
    assert.deepEqual(second, first);
    assert.equal(second.response.patchType, 'JSONPatch');
  });

  test('an unreachable Redis is a cache miss, not a failed admission', async () => {
    const cache = await RedisDecisionCache.connect(`redis://127.0.0.1:${await freePort()}`, 200);
    caches.push(cache);
    assert.equal(await cache.get('anything'), undefined);
    await cache.set('anything', { allowed: true, warnings: [] }, 5);
  });
});
