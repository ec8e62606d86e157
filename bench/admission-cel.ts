/**
 * The seeds' key policy (seed003 verify-image-signature: images signed by one key) written both ways, a
 * Kyverno ClusterPolicy (verifyImages, conditions in JMESPath) and an ImageValidatingPolicy (CEL), behind the
 * same admission server on the same signed images: warm (the image verification and tag resolution caches
 * hold every image; no decision cache, so each review runs the policy), in-process and over HTTPS with 64
 * keep-alive clients on another thread, for a one- and a five-container Pod. Each figure closes with the
 * ratio CEL / ClusterPolicy, and the five-container HTTPS ratio again from alternating rounds (the machine's
 * load drifts). The CEL path must stay within 1.5x of the JMESPath one.
 */
import { readFileSync } from 'node:fs';
import { createAdmissionServer, type DecisionCache, policyEvaluator } from '../src/admission/index.js';
import { publicKeyPem } from '../src/crypto/index.js';
import {
  DEFAULT_TAG_RESOLUTION_TTL_SECONDS,
  ImageVerifyCache,
  type PolicySet,
  readImageValidatingPolicy,
  TagResolutionCache,
} from '../src/policy/index.js';
import { unloggedKeyVerification, verifyImagesPolicy } from '../test/helpers/kyverno-policy.js';
import { selfSignedCertificate } from '../test/helpers/tls.js';
import { signedBenchImages } from './admission.js';
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

/** The same policy as an ImageValidatingPolicy. */
function celPolicy(pattern: string, pem: string): PolicySet {
  const document = {
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ImageValidatingPolicy',
    metadata: { name: 'verify' },
    spec: {
      validationActions: ['Deny'],
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
      },
      matchImageReferences: [{ glob: pattern }],
      attestors: [{ name: 'key', cosign: { key: { data: pem }, ctlog: { insecureIgnoreTlog: true } } }],
      validations: [
        {
          expression:
            'images.containers.map(image, verifyImageSignatures(image, [attestors.key])).all(e, e > 0)',
          message: 'failed the image signature verification',
        },
      ],
    },
  };
  return { policies: [readImageValidatingPolicy(document, 'bench')] };
}

export async function benchAdmissionCel(): Promise<void> {
  const { registry, where, client, key, images } = await signedBenchImages();
  const pattern = `${registry.address}/team/*`;
  const sets: Record<string, PolicySet> = {
    ClusterPolicy: verifyImagesPolicy('verify', [unloggedKeyVerification(pattern, key.publicKey)]),
    ImageValidatingPolicy: celPolicy(pattern, publicKeyPem(key.publicKey)),
  };
  const tls = selfSignedCertificate();
  const servers = Object.fromEntries(
    Object.entries(sets).map(([kind, policies]) => [
      kind,
      createAdmissionServer({
        tls,
        evaluate: policyEvaluator(() => policies, {
          client,
          imageVerifyCache: new ImageVerifyCache({ ttlSeconds: 3600, maxEntries: 1000 }),
          tagResolutionCache: new TagResolutionCache({ ttlSeconds: DEFAULT_TAG_RESOLUTION_TTL_SECONDS }),
        }),
        policyState: () => ({ generation: 1 }),
        cache: NO_CACHE,
      }),
    ]),
  );
  const figures = new Map<string, Timing>();
  const loads = new Map<string, (count: number) => Promise<Timing>>();
  try {
    for (const [kind, server] of Object.entries(servers)) {
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const address = server.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      for (const containers of [1, 5]) {
        const pod = review(images.slice(0, containers));
        const body = JSON.stringify(pod);
        const allowed = (await server.handlers.Fail.review(pod, 'mutate')).response.allowed;
        if (!allowed) throw new Error(`bench: the signed pod was not admitted under the ${kind}`);
        const label = `admission ${kind}, warm, ${containers} container(s), ${where}`;
        const inProcess = await measure(20_000, () => server.handlers.Fail.review(pod, 'mutate'));
        figures.set(`${kind} ${containers} in-process`, inProcess);
        console.log(formatTiming(`${label}, in-process`, inProcess));
        const load = (count: number) =>
          loadFromThread({ port, path: '/mutate', body, ca: tls.cert, count, concurrency: 64 });
        await load(200);
        const https = await load(10_000);
        figures.set(`${kind} ${containers} HTTPS`, https);
        console.log(formatTiming(`${label}, HTTPS x64`, https));
        if (containers === 5) loads.set(kind, load);
      }
    }
    for (const containers of [1, 5]) {
      for (const how of ['in-process', 'HTTPS']) {
        const jmes = figures.get(`ClusterPolicy ${containers} ${how}`);
        const cel = figures.get(`ImageValidatingPolicy ${containers} ${how}`);
        if (!jmes || !cel) continue;
        console.log(
          `ratio ClusterPolicy / ImageValidatingPolicy reviews/s, ${containers} container(s), ${how}: ${(jmes.perSecond / cel.perSecond).toFixed(2)} (CEL p99 ${cel.p99ms.toFixed(2)} ms, ClusterPolicy p99 ${jmes.p99ms.toFixed(2)} ms)`,
        );
      }
    }
    // The machine's load and the heap drift over a run: in-process rounds alternate the two as well.
    const inProcess: Record<string, number> = { ClusterPolicy: 0, ImageValidatingPolicy: 0 };
    const fivePod = review(images);
    for (let round = 0; round < 4; round++) {
      for (const [kind, server] of Object.entries(servers)) {
        inProcess[kind] =
          (inProcess[kind] ?? 0) +
          (await measure(5_000, () => server.handlers.Fail.review(fivePod, 'mutate'))).seconds;
      }
    }
    console.log(
      `ratio ImageValidatingPolicy / ClusterPolicy time, 5 containers, in-process, 4 alternating rounds of 5,000: ${((inProcess.ImageValidatingPolicy ?? 0) / (inProcess.ClusterPolicy ?? 1)).toFixed(2)} (must stay within 1.5)`,
    );
    const seconds: Record<string, number> = { ClusterPolicy: 0, ImageValidatingPolicy: 0 };
    for (let round = 0; round < 4; round++) {
      for (const kind of Object.keys(seconds)) {
        const run = loads.get(kind);
        if (run) seconds[kind] = (seconds[kind] ?? 0) + (await run(5_000)).seconds;
      }
    }
    console.log(
      `ratio ImageValidatingPolicy / ClusterPolicy time, 5 containers, HTTPS x64, 4 alternating rounds of 5,000: ${((seconds.ImageValidatingPolicy ?? 0) / (seconds.ClusterPolicy ?? 1)).toFixed(2)} (must stay within 1.5)`,
    );
  } finally {
    for (const server of Object.values(servers)) await server.app.close();
    await registry.close();
  }
}
