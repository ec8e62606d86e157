/**
 * The image verification cache (Kyverno's useCache): passes reused until their TTL, concurrent
 * verifications joined, failures never kept; and in the engine, on a real (embedded) registry, that a
 * cached pass never outlives a moved tag, a policy reload or `useCache: false`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import {
  type CacheLookup,
  type EvaluationOptions,
  evaluateResource,
  ImageVerifyCache,
  type PolicySet,
} from '../../src/policy/index.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest, unloggedKeyVerification, verifyImagesPolicy } from '../helpers/kyverno-policy.js';

describe('ImageVerifyCache', () => {
  const passes = (value: string) => value === 'pass';

  it('reuses a pass until its TTL ends, then verifies again', async () => {
    let now = 0;
    const cache = new ImageVerifyCache({ ttlSeconds: 60, maxEntries: 10, now: () => now });
    const scope = {};
    let runs = 0;
    const verify = async () => {
      runs++;
      return 'pass';
    };
    await cache.run(scope, 'r@sha256:a', verify, passes);
    now = 59_999;
    await cache.run(scope, 'r@sha256:a', verify, passes);
    assert.equal(runs, 1);
    now = 60_000;
    await cache.run(scope, 'r@sha256:a', verify, passes);
    assert.equal(runs, 2);
  });

  it('keeps no failure: the next lookup verifies again', async () => {
    const cache = new ImageVerifyCache({ ttlSeconds: 60, maxEntries: 10 });
    let runs = 0;
    const verify = async () => {
      runs++;
      return 'fail';
    };
    assert.equal(await cache.run({}, 'r@sha256:a', verify, passes), 'fail');
    const scope = {};
    await cache.run(scope, 'r@sha256:a', verify, passes);
    await cache.run(scope, 'r@sha256:a', verify, passes);
    assert.equal(runs, 3);
    assert.equal(cache.size, 0);
  });

  it('joins concurrent lookups of one image to one verification, errors included, and keeps scopes apart', async () => {
    const lookups: CacheLookup[] = [];
    const cache = new ImageVerifyCache({ ttlSeconds: 60, maxEntries: 10 }, (r) => lookups.push(r));
    const scope = {};
    let runs = 0;
    const slowPass = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'pass';
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => cache.run(scope, 'r@sha256:a', slowPass, passes)),
    );
    assert.deepEqual(new Set(answers), new Set(['pass']));
    assert.equal(runs, 1);
    assert.deepEqual(lookups.slice(0, 2), ['miss', 'joined']);
    await cache.run({}, 'r@sha256:a', slowPass, passes);
    assert.equal(runs, 2, 'another scope (another policy) verifies for itself');

    const failing = async (): Promise<string> => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('registry down');
    };
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, () => cache.run(scope, 'r@sha256:b', failing, passes)),
    );
    assert.equal(runs, 3);
    assert.ok(settled.every((s) => s.status === 'rejected' && /registry down/.test(String(s.reason))));
    await assert.rejects(cache.run(scope, 'r@sha256:b', failing, passes), /registry down/);
    assert.equal(runs, 4, 'an error is not kept');
  });

  it('drops the least recently used pass beyond maxEntries', async () => {
    const cache = new ImageVerifyCache({ ttlSeconds: 60, maxEntries: 2 });
    const scope = {};
    const seen: string[] = [];
    const verify = (image: string) => async () => {
      seen.push(image);
      return 'pass';
    };
    for (const image of ['a', 'b', 'a', 'c', 'a', 'b']) await cache.run(scope, image, verify(image), passes);
    assert.deepEqual(seen, ['a', 'b', 'c', 'b']);
    assert.equal(cache.size, 2);
  });
});

describe('the engine with an image verification cache, on a registry', () => {
  let registry: RunningRegistry;
  const requests: string[] = [];
  const client = new RegistryClient({
    fetch: async (url, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(url)).pathname}`);
      return fetch(url, init);
    },
  });
  const key = generateKeyPair('ecdsa-p256');
  let image: string;

  const pod = (images: string[]) => podRequest(images);
  const policy = (useCache?: boolean): PolicySet =>
    verifyImagesPolicy('verify', [
      unloggedKeyVerification(
        `${registry.address}/*`,
        key.publicKey,
        useCache === undefined ? {} : { useCache },
      ),
    ]);
  const options = (cache: ImageVerifyCache): EvaluationOptions => ({
    client,
    endpoint: 'mutate',
    imageVerifyCache: cache,
  });
  const newCache = () => new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 100 });
  /** Requests for signatures: everything but resolving the image's tag. */
  const signatureReads = () => requests.filter((r) => !r.endsWith('/manifests/v1')).length;

  before(async () => {
    registry = await startTestRegistry();
    image = `${registry.address}/team/app:v1`;
    await pushTestImage(client, parseReference(image), { files: { 'f.txt': 'signed' } });
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(image) });
  });
  after(() => registry.close());

  it('reads the signatures once for a pod seen again, but resolves its tag every time', async () => {
    const cache = newCache();
    const policies = policy();
    const first = await evaluateResource(pod([image]), policies, options(cache));
    assert.equal(first.allowed, true, first.message);
    requests.length = 0;
    const second = await evaluateResource(pod([image]), policies, options(cache));
    assert.equal(second.allowed, true, second.message);
    assert.deepEqual(second.patch, first.patch);
    assert.deepEqual(requests, ['HEAD /v2/team/app/manifests/v1']);
  });

  it('verifies again after a policy reload, and every time under useCache: false', async () => {
    const cache = newCache();
    await evaluateResource(pod([image]), policy(), options(cache));
    requests.length = 0;
    await evaluateResource(pod([image]), policy(), options(cache));
    assert.ok(signatureReads() > 0, 'a reloaded policy (new objects) starts with no passes');
    const uncached = policy(false);
    await evaluateResource(pod([image]), uncached, options(cache));
    requests.length = 0;
    await evaluateResource(pod([image]), uncached, options(cache));
    assert.ok(signatureReads() > 0, 'useCache: false verifies every time');
  });

  it('concurrent reviews of one image share one verification', async () => {
    const cache = newCache();
    const policies = policy();
    requests.length = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => evaluateResource(pod([image]), policies, options(cache))),
    );
    assert.ok(outcomes.every((o) => o.allowed));
    const sigManifestReads = requests.filter((r) => r.endsWith('.sig')).length;
    assert.equal(sigManifestReads, 1);
  });

  it('a tag moved to an unsigned image is denied although the old digest passed', async () => {
    const cache = newCache();
    const policies = policy();
    const moving = `${registry.address}/team/moving:v1`;
    await pushTestImage(client, parseReference(moving), { files: { 'f.txt': 'signed, then replaced' } });
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(moving) });
    assert.equal((await evaluateResource(pod([moving]), policies, options(cache))).allowed, true);
    await pushTestImage(client, parseReference(moving), { files: { 'f.txt': 'unsigned replacement' } });
    const after = await evaluateResource(pod([moving]), policies, options(cache));
    assert.equal(after.allowed, false);
    assert.match(after.message ?? '', /no signatures found/);
  });

  it('a failure is not kept: once the image is signed, the next review passes', async () => {
    const cache = newCache();
    const policies = policy();
    const late = `${registry.address}/team/late:v1`;
    await pushTestImage(client, parseReference(late), { files: { 'f.txt': 'signed later' } });
    assert.equal((await evaluateResource(pod([late]), policies, options(cache))).allowed, false);
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(late) });
    assert.equal((await evaluateResource(pod([late]), policies, options(cache))).allowed, true);
  });
});
