/**
 * The webhook behind a real kube-apiserver (the pinned etcd + kube-apiserver peers; skipped when they are
 * not installed): pods created through the API server's REST API, 16 requests in flight on keep-alive
 * connections, each reviewed by sigil's mutating and validating webhooks (`sigil admission serve`, the
 * manifests' webhook configurations by URL) under a Kyverno key policy on an image signed in the embedded
 * registry. Prints pods/s as a client sees them and, from the API server's own histogram
 * (apiserver_admission_webhook_admission_duration_seconds), the p50/p99 it measured per webhook. Warm: the
 * image verification cache reuses the image's verification; cold: every review verifies the signature.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { signImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import { startAdmissionServe } from '../test/helpers/admission-serve.js';
import { type KubeControlPlane, startKubeControlPlane } from '../test/helpers/kube-control-plane.js';
import { loopbackWebhookTls, manifestWebhooks } from '../test/helpers/kube-webhooks.js';
import { unloggedKeyVerification, verifyImagesPolicy } from '../test/helpers/kyverno-policy.js';
import { peerBinary } from '../test/helpers/peers.js';
import { freePort } from '../test/helpers/ports.js';
import { formatTiming, measure } from './stats.js';

const PODS = 400;
const CONCURRENCY = 16;
const METRIC = 'apiserver_admission_webhook_admission_duration_seconds_bucket';

/** Cumulative bucket counts (le -> count) per webhook name, from the API server's /metrics. */
function webhookBuckets(text: string): Map<string, Map<number, number>> {
  const byHook = new Map<string, Map<number, number>>();
  for (const [, labels, value] of text.matchAll(new RegExp(`^${METRIC}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const name = /name="([^"]+)"/.exec(labels ?? '')?.[1];
    const le = /le="([^"]+)"/.exec(labels ?? '')?.[1];
    if (!name?.endsWith('sigil.dev') || le === undefined) continue;
    const buckets = byHook.get(name) ?? new Map<number, number>();
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(value));
    byHook.set(name, buckets);
  }
  return byHook;
}

/** Prometheus' histogram_quantile over the observations between two scrapes (linear within a bucket). */
function quantile(q: number, before: Map<number, number> | undefined, after: Map<number, number>): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before?.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((counts[i] ?? 0) < rank) continue;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const upper = bounds[i] as number;
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : (counts[i - 1] as number);
    const inBucket = (counts[i] as number) - below;
    return lower + (upper - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket);
  }
  return Number.NaN;
}

function createPod(plane: KubeControlPlane, agent: Agent, namespace: string, name: string, image: string) {
  const body = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image }] },
  });
  return new Promise<void>((resolve, reject) => {
    const req = request(
      `${plane.server}/api/v1/namespaces/${namespace}/pods`,
      {
        method: 'POST',
        agent,
        ca: plane.ca,
        headers: { authorization: `Bearer ${plane.token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          res.statusCode === 201 ? resolve() : reject(new Error(`pod ${name}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchPeersKube(): Promise<void> {
  const [etcd, kubeApiserver, kubectl] = [
    peerBinary('etcd'),
    peerBinary('kubernetes', 'kube-apiserver'),
    peerBinary('kubernetes', 'kubectl'),
  ];
  if (!etcd || !kubeApiserver || !kubectl) {
    console.log('peers: skipped (bash test/peers/install.sh etcd kubernetes)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sigil-bench-peers-'));
  const registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
  const plane = await startKubeControlPlane({ etcd, kubeApiserver, kubectl });
  const servers: ChildProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const client = new RegistryClient({});
    const key = generateKeyPair('ecdsa-p256');
    const image = `${registry.address}/team/app:v1`;
    await pushTestImage(client, parseReference(image), { files: { 'f.txt': 'app' } });
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(image) });
    const policy = verifyImagesPolicy('verify', [
      unloggedKeyVerification(`${registry.address}/team/*`, key.publicKey),
    ]);
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'verify.yaml'), stringify(policy));
    const caBundle = await loopbackWebhookTls(dir);

    for (const mode of ['warm', 'cold'] as const) {
      const port = await freePort();
      const flags = mode === 'cold' ? ['--no-image-verify-cache'] : [];
      servers.push(
        await startAdmissionServe(
          ['--policies', 'policies', '--tls-dir', 'tls', '--addr', `127.0.0.1:${port}`, ...flags],
          dir,
        ),
      );
      const objects = {
        apiVersion: 'v1',
        kind: 'List',
        items: manifestWebhooks(`127.0.0.1:${port}`, caBundle),
      };
      const applied = await plane.kubectl(['apply', '-f', '-'], JSON.stringify(objects));
      if (applied.code !== 0) throw new Error(applied.stderr);
      await plane.kubectl(['create', 'namespace', mode]);
      // A first pod through both webhooks, so connections and (warm) the image cache are set up.
      await createPod(plane, agent, mode, 'first', image);
      const before = webhookBuckets((await plane.get('/metrics')).text);
      const timing = await measure(
        PODS,
        (i) => createPod(plane, agent, mode, `pod-${i}`, image),
        CONCURRENCY,
      );
      console.log(formatTiming(`peers ${mode}: pods created through kube-apiserver`, timing));
      for (const [name, buckets] of webhookBuckets((await plane.get('/metrics')).text)) {
        const ms = (q: number) => (quantile(q, before.get(name), buckets) * 1000).toFixed(1);
        console.log(`  kube-apiserver's ${name} latency: p50 ${ms(0.5)} ms   p99 ${ms(0.99)} ms (histogram)`);
      }
    }
  } finally {
    agent.destroy();
    for (const server of servers) server.kill('SIGTERM');
    await plane.stop();
    await registry.close();
  }
}
