/**
 * Admission webhook on the real policy engine: a Kyverno key policy, images signed with sigil in the real
 * distribution registry (docker-registry; the embedded registry when it is not installed). AdmissionReviews
 * for a one-container and a five-container Pod: warm (decision cache hits) in-process and over HTTPS with
 * 64 keep-alive clients on another thread; image-cached (no decision cache, Kyverno's image verification
 * cache: every review resolves the tags, a pod's signatures are read once); and cold (no cache at all: every
 * review resolves the tags, fetches and verifies the signatures) over HTTPS.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdmissionServer, type DecisionCache, policyEvaluator } from '../src/admission/index.js';
import { signImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import { ImageVerifyCache } from '../src/policy/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { unloggedKeyVerification, verifyImagesPolicy } from '../test/helpers/kyverno-policy.js';
import { selfSignedCertificate } from '../test/helpers/tls.js';
import { loadFromThread } from './https-load.js';
import { formatTiming, measure } from './stats.js';

const NO_CACHE: DecisionCache = { get: async () => undefined, set: async () => {} };

function review(images: string[]): Record<string, unknown> {
  const body = JSON.parse(readFileSync('test/fixtures/admission/create-pod.json', 'utf8')) as {
    request: { object: { spec: { containers: unknown[] } } };
  };
  body.request.object.spec.containers = images.map((image, i) => ({ name: `c${i}`, image }));
  return body as unknown as Record<string, unknown>;
}

export async function benchAdmission(): Promise<void> {
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
  const policies = verifyImagesPolicy('verify', [
    unloggedKeyVerification(`${registry.address}/team/*`, key.publicKey),
  ]);
  const tls = selfSignedCertificate();
  const evaluate = policyEvaluator(() => policies, { client });
  const imageVerifyCache = new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 1000 });
  const policyState = () => ({ generation: 1 });
  const servers = {
    warm: createAdmissionServer({ tls, evaluate, policyState }),
    'image-cached': createAdmissionServer({
      tls,
      evaluate: policyEvaluator(() => policies, { client, imageVerifyCache }),
      policyState,
      cache: NO_CACHE,
    }),
    cold: createAdmissionServer({ tls, evaluate, policyState, cache: NO_CACHE }),
  };
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
        if (mode === 'warm') {
          console.log(
            formatTiming(
              `${label}, in-process`,
              await measure(20_000, () => server.handlers.Fail.review(pod, 'mutate')),
            ),
          );
        }
        if (mode === 'cold') console.log(formatTiming(`${label}, HTTPS x1`, await load(body, 200, 1)));
        await load(body, 200, 64);
        console.log(
          formatTiming(`${label}, HTTPS x64`, await load(body, mode === 'cold' ? 1_000 : 20_000, 64)),
        );
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.app.close();
    await registry.close();
  }
}
