/**
 * Admission webhook on the real policy engine: a Kyverno key policy, images signed with sigil in the real
 * distribution registry (docker-registry; the embedded registry when it is not installed). AdmissionReviews
 * for a one-container and a five-container Pod: warm (decision cache hits) in-process and over HTTPS with
 * 64 keep-alive clients on another thread; image-cached (no decision cache, Kyverno's image verification
 * cache: a pod's signatures are read once; tags resolved through the tag resolution cache at its default
 * freshness, and, as Kyverno does, on every review), in-process too, the floor of an image-cached review
 * without HTTP; and cold (no cache at all: every review resolves the tags, fetches and verifies the
 * signatures) over HTTPS. The image-cached figures close with their ratios to warm and to their floor, and
 * the ratio to warm again from alternating rounds (the machine's load drifts between runs minutes apart).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdmissionServer, type DecisionCache, policyEvaluator } from '../src/admission/index.js';
import { signImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import {
  DEFAULT_TAG_RESOLUTION_TTL_SECONDS,
  ImageVerifyCache,
  TagResolutionCache,
} from '../src/policy/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { unloggedKeyVerification, verifyImagesPolicy } from '../test/helpers/kyverno-policy.js';
import { selfSignedCertificate } from '../test/helpers/tls.js';
import { loadFromThread } from './https-load.js';
import { formatTiming, measure, type Timing } from './stats.js';

const NO_CACHE: DecisionCache = { get: async () => undefined, set: async () => {} };

function review(images: string[]): Record<string, unknown> {
  const body = JSON.parse(readFileSync('test/fixtures/admission/create-pod.json', 'utf8')) as {
    request: { object: { spec: { containers: unknown[] } } };
  };
  body.request.object.spec.containers = images.map((image, i) => ({ name: `c${i}`, image }));
  return body as unknown as Record<string, unknown>;
}

/**
 * A registry (distribution 2.8 when installed, else the embedded one) holding five images signed by one
 * key, for the admission benchmarks; `where` names the registry in their labels.
 */
export async function signedBenchImages() {
  const peer = dockerRegistryInstalled();
  const registry = peer
    ? await startDockerRegistry()
    : await startRegistry({
        host: '127.0.0.1',
        port: 0,
        dataDir: join(mkdtempSync(join(tmpdir(), 'sigil-bench-')), 'r'),
      });
  const where = peer ? 'distribution 2.8' : 'embedded registry';
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const images: string[] = [];
  for (let i = 0; i < 5; i++) {
    const image = `${registry.address}/team/app${i}:v1`;
    await pushTestImage(client, parseReference(image), { files: { 'f.txt': `app ${i}` } });
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(image) });
    images.push(image);
  }
  return { registry, where, client, key, images };
}

export async function benchAdmission(): Promise<void> {
  const { registry, where, client, key, images } = await signedBenchImages();
  const policies = verifyImagesPolicy('verify', [
    unloggedKeyVerification(`${registry.address}/team/*`, key.publicKey),
  ]);
  const tls = selfSignedCertificate();
  const evaluate = policyEvaluator(() => policies, { client });
  const imageVerifyCache = new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 1000 });
  const tagResolutionCache = new TagResolutionCache({ ttlSeconds: DEFAULT_TAG_RESOLUTION_TTL_SECONDS });
  const policyState = () => ({ generation: 1 });
  const imageCached = (tags: { tagResolutionCache?: TagResolutionCache }) =>
    createAdmissionServer({
      tls,
      evaluate: policyEvaluator(() => policies, { client, imageVerifyCache, ...tags }),
      policyState,
      cache: NO_CACHE,
    });
  const servers = {
    warm: createAdmissionServer({ tls, evaluate, policyState }),
    'image-cached': imageCached({ tagResolutionCache }),
    'image-cached, tags resolved each review': imageCached({}),
    cold: createAdmissionServer({ tls, evaluate, policyState, cache: NO_CACHE }),
  };
  /** Throughput over HTTPS x64 by mode and container count, for the ratios. */
  const https = new Map<string, Timing>();
  let floor: Timing | undefined;
  /** Each mode's HTTPS load of the five-container pod, for the paired rounds at the end. */
  const loads = new Map<string, (count: number) => Promise<Timing>>();
  try {
    for (const [mode, server] of Object.entries(servers)) {
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const address = server.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const load = (body: string, count: number, concurrency: number) =>
        loadFromThread({ port, path: '/mutate', body, ca: tls.cert, count, concurrency });
      for (const containers of [1, 5]) {
        const pod = review(images.slice(0, containers));
        const body = JSON.stringify(pod);
        const allowed = (await server.handlers.Fail.review(pod, 'mutate')).response.allowed;
        if (!allowed) throw new Error('bench: the signed pod was not admitted');
        const label = `admission ${mode}, ${containers} container(s), ${where}`;
        if (mode === 'warm' || mode === 'image-cached') {
          const inProcess = await measure(20_000, () => server.handlers.Fail.review(pod, 'mutate'));
          if (mode === 'image-cached' && containers === 5) floor = inProcess;
          console.log(formatTiming(`${label}, in-process`, inProcess));
        }
        if (mode === 'cold') console.log(formatTiming(`${label}, HTTPS x1`, await load(body, 200, 1)));
        if (containers === 5) loads.set(mode, (n) => load(body, n, 64));
        await load(body, 200, 64);
        const count = mode === 'warm' || mode === 'image-cached' ? 20_000 : 1_000;
        const timing = await load(body, count, 64);
        https.set(`${mode} ${containers}`, timing);
        console.log(formatTiming(`${label}, HTTPS x64`, timing));
      }
    }
    const rate = (key: string) => https.get(key)?.perSecond ?? Number.NaN;
    const cached = rate('image-cached 5');
    console.log(
      `ratio image-cached / warm, 5 containers, HTTPS x64: ${(cached / rate('warm 5')).toFixed(2)}` +
        ` (tags resolved each review: ${(rate('image-cached, tags resolved each review 5') / rate('warm 5')).toFixed(3)})`,
    );
    // The machine's load drifts between runs minutes apart: the same ratio from alternating rounds.
    const seconds = { warm: 0, 'image-cached': 0 };
    for (let round = 0; round < 4; round++) {
      for (const mode of ['warm', 'image-cached'] as const) {
        const run = loads.get(mode);
        if (run) seconds[mode] += (await run(5_000)).seconds;
      }
    }
    console.log(
      `ratio image-cached / warm, 5 containers, HTTPS x64, 4 alternating rounds of 5,000: ${(seconds.warm / seconds['image-cached']).toFixed(2)}` +
        ` (image-cached ${(20_000 / seconds['image-cached']).toFixed(0)}/s)`,
    );
    if (floor) {
      console.log(
        `ratio image-cached HTTPS x64 / its in-process floor, 5 containers: ${(cached / floor.perSecond).toFixed(2)}`,
      );
    }
  } finally {
    for (const server of Object.values(servers)) await server.app.close();
    await registry.close();
  }
}
