import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdmissionHandler, createAdmissionMetrics, RedisDecisionCache } from '../../src/admission/index.js';
import { commandExists, peerMissing } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const skip = peerMissing('redis-server', commandExists('redis-server'));

describe('Redis decision cache shared by two webhook replicas', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-redis-'));
  let redis: ChildProcess | undefined;
  let url = '';
  const caches: RedisDecisionCache[] = [];

  before(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      redis?.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) resolve();
      });
      redis?.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  });
  after(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    redis?.kill();
    rmSync(dir, { recursive: true, force: true });
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
