/**
 * Tag resolution in admission, counted at a proxy in front of the real distribution registry: one
 * registry round trip per distinct tag per review (whatever containers, rules and policies name it), over
 * reused connections; with a TagResolutionCache, none within its freshness bound and one after it. And
 * that a reused resolution never admits what a fresh one would refuse once the bound has passed, never
 * lends a digest to another repository or another registry client, and that without the cache every
 * review resolves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import {
  type EvaluationOptions,
  evaluateResource,
  ImageVerifyCache,
  type PolicySet,
  type ResourceRequest,
  TagResolutionCache,
} from '../../src/policy/index.js';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy.js';
import {
  dockerRegistryInstalled,
  type PeerRegistry,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import { unloggedKeyVerification, verifyImagesPolicy } from '../helpers/kyverno-policy.js';
import { peerMissing } from '../helpers/peers.js';

/** A Pod naming `images` in its init, regular and ephemeral containers, as the engine sees a review. */
function pod(spec: { initContainers?: string[]; containers: string[]; ephemeralContainers?: string[] }) {
  const named = (prefix: string, images: string[] = []) =>
    images.map((image, i) => ({ name: `${prefix}${i}`, image }));
  const request: ResourceRequest = {
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace: 'default',
    name: 'web',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        initContainers: named('i', spec.initContainers),
        containers: named('c', spec.containers),
        ephemeralContainers: named('e', spec.ephemeralContainers),
      },
    },
  };
  return request;
}

describe('tag resolution on the distribution registry', {
  skip: peerMissing('docker-registry', dockerRegistryInstalled()),
}, () => {
  let registry: PeerRegistry;
  let proxy: CountingProxy;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const image = (name: string) => `${proxy.address}/team/${name}:v1`;
  const heads = (name: string) =>
    proxy.requests.filter((r) => r === `HEAD /v2/team/${name}/manifests/v1`).length;
  /** Two policies of one rule each, both verifying every image of the registry. */
  let policies: PolicySet;

  const push = (name: string, content: string) =>
    pushTestImage(client, parseReference(image(name)), { files: { 'f.txt': content } });
  const sign = (name: string) =>
    signImage({ client, signer: keySigner(key.privateKey), image: parseReference(image(name)) });
  const options = (extra: Partial<EvaluationOptions> = {}): EvaluationOptions => ({
    client,
    endpoint: 'mutate',
    ...extra,
  });

  before(async () => {
    registry = await startDockerRegistry();
    proxy = await startCountingProxy(registry.address);
    for (const name of ['a', 'b']) {
      await push(name, name);
      await sign(name);
    }
    const verification = unloggedKeyVerification(`${proxy.address}/team/*`, key.publicKey);
    policies = {
      policies: [
        ...verifyImagesPolicy('first', [verification]).policies,
        ...verifyImagesPolicy('second', [verification]).policies,
      ],
    };
  });
  after(async () => {
    await proxy?.close();
    await registry?.close();
  });

  it('resolves each distinct tag once per review, across containers, init and ephemeral containers and policies', async () => {
    const review = pod({
      initContainers: [image('a')],
      containers: [image('a'), image('b'), image('a')],
      ephemeralContainers: [image('b')],
    });
    const cache = new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 100 });
    await evaluateResource(review, policies, options({ imageVerifyCache: cache }));
    proxy.reset();
    const outcome = await evaluateResource(review, policies, options({ imageVerifyCache: cache }));
    assert.equal(outcome.allowed, true, outcome.message);
    assert.deepEqual(proxy.requests.sort(), ['HEAD /v2/team/a/manifests/v1', 'HEAD /v2/team/b/manifests/v1']);
    const pins = outcome.patch.filter((p) => p.path.endsWith('/image'));
    assert.equal(pins.length, 5, 'every container is pinned');
    const digestOf = (name: string) => client.resolveDigest(parseReference(image(name)));
    const [a, b] = [await digestOf('a'), await digestOf('b')];
    assert.deepEqual(
      pins.map((p) => p.value),
      [
        `${image('a')}@${a}`,
        `${image('a')}@${a}`,
        `${image('b')}@${b}`,
        `${image('a')}@${a}`,
        `${image('b')}@${b}`,
      ],
    );
    assert.equal(outcome.results.filter((r) => r.result === 'pass').length, 10, '2 policies x 5 images');
  });

  it('without a tag resolution cache every review resolves, over kept connections', async () => {
    const cache = new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 100 });
    const review = pod({ containers: [image('a'), image('a')] });
    await evaluateResource(review, policies, options({ imageVerifyCache: cache }));
    proxy.reset();
    for (let i = 0; i < 10; i++) {
      assert.equal(
        (await evaluateResource(review, policies, options({ imageVerifyCache: cache }))).allowed,
        true,
      );
    }
    assert.equal(heads('a'), 10);
    assert.equal(proxy.requests.length, 10, 'nothing but the tag is asked for: the verdicts are cached');
    // The built-in fetch opened one per HEAD; kept ones are reused (two at most: see keepAliveFetch's test).
    assert.ok(proxy.connections <= 2, `${proxy.connections} connections for 10 sequential requests`);
  });

  it('reuses a resolution within the freshness bound, and resolves again once it has passed', async () => {
    let now = 1_000_000;
    const tags = new TagResolutionCache({ ttlSeconds: 5, now: () => now });
    const review = pod({ containers: [image('a'), image('b')] });
    const run = () => evaluateResource(review, policies, options({ tagResolutionCache: tags }));
    proxy.reset();
    assert.equal((await run()).allowed, true);
    assert.equal(heads('a'), 1);
    now += 4_999;
    assert.equal((await run()).allowed, true);
    assert.equal(heads('a'), 1, 'within the bound: no round trip');
    now += 1;
    assert.equal((await run()).allowed, true);
    assert.equal(heads('a'), 2, 'the bound has passed: the registry is asked again');
  });

  it('a tag moved to an unsigned image is refused once the bound has passed; before, the old verified digest is pinned', async () => {
    let now = 1_000_000;
    const tags = new TagResolutionCache({ ttlSeconds: 5, now: () => now });
    const verdicts = new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 100 });
    await push('moving', 'signed');
    await sign('moving');
    const signed = await client.resolveDigest(parseReference(image('moving')));
    const review = pod({ containers: [image('moving')] });
    const run = () =>
      evaluateResource(review, policies, options({ tagResolutionCache: tags, imageVerifyCache: verdicts }));
    assert.equal((await run()).allowed, true);
    await push('moving', 'unsigned replacement');
    const within = await run();
    assert.equal(within.allowed, true);
    assert.deepEqual(
      within.patch.find((p) => p.path === '/spec/containers/0/image')?.value,
      `${image('moving')}@${signed}`,
      'the admitted pod runs the digest that was verified, not the tag',
    );
    now += 5_000;
    const moved = await run();
    assert.equal(moved.allowed, false);
    assert.match(moved.message ?? '', /no signatures found/);
    assert.equal((await evaluateResource(review, policies, options())).allowed, false, 'as uncached');
  });

  it('a cached tag never lends its digest to another repository', async () => {
    const tags = new TagResolutionCache({ ttlSeconds: 3600 });
    await push('unsigned', 'never signed');
    const digestOf = (name: string) => client.resolveDigest(parseReference(image(name)));
    const run = (name: string) =>
      evaluateResource(pod({ containers: [image(name)] }), policies, options({ tagResolutionCache: tags }));
    assert.equal((await run('a')).allowed, true);
    proxy.reset();
    const b = await run('b');
    assert.equal(heads('b'), 1, 'same tag, another repository: resolved for itself');
    assert.equal(
      b.patch.find((p) => p.path === '/spec/containers/0/image')?.value,
      `${image('b')}@${await digestOf('b')}`,
    );
    assert.notEqual(await digestOf('a'), await digestOf('b'));
    const unsigned = await run('unsigned');
    assert.equal(unsigned.allowed, false, 'the signed image of another repository does not vouch for it');
    assert.match(unsigned.message ?? '', /no signatures found/);
  });

  it('keeps resolutions apart per registry client (credentials), joins concurrent ones and keeps no error', async () => {
    const tags = new TagResolutionCache({ ttlSeconds: 3600 });
    const other = new RegistryClient({});
    const ref = parseReference(image('b'));
    proxy.reset();
    const answers = await Promise.all(Array.from({ length: 10 }, () => tags.resolve(client, ref)));
    assert.equal(new Set(answers).size, 1);
    assert.equal(heads('b'), 1, 'ten concurrent lookups, one round trip');
    await tags.resolve(other, ref);
    assert.equal(heads('b'), 2, 'another client asks for itself');

    const missing = parseReference(image('late'));
    await assert.rejects(tags.resolve(client, missing), /not found/);
    await push('late', 'pushed after the first lookup');
    assert.match(await tags.resolve(client, missing), /^sha256:/);
  });
});
