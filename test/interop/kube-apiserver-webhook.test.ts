/**
 * sigil's admission webhook called by a REAL kube-apiserver (etcd + kube-apiserver + kubectl, the pinned
 * peers): the webhook configurations of deploy/manifests with the caBundle of `sigil admission tls`, calling
 * `sigil admission serve` on loopback by clientConfig.url, and the French guide's "Partie 5" through kubectl
 * (an unsigned pod denied with the reason in kubectl's error, a signed one created with its tag pinned to
 * the digest), server-side dry runs, autogen rules for a Deployment, Audit reports, the failurePolicy when
 * the webhook is down or slower than timeoutSeconds, two replicas sharing a Redis cache, keyless and
 * attestation-condition policies, and the Helm chart installed against the same API server. One control
 * plane serves every case (it takes seconds to start); there is no kubelet, so pods stay Pending.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath } from '../../src/tlog/index.js';
import { httpsGet, startAdmissionServe } from '../helpers/admission-serve.js';
import { runProcess, workDir } from '../helpers/cli.js';
import { type KubeControlPlane, startKubeControlPlane } from '../helpers/kube-control-plane.js';
import { prepareSeedScenario } from '../helpers/kube-seed-scenario.js';
import {
  loopbackWebhookTls,
  manifestWebhooks,
  namespacedWebhook,
  startDelayingProxy,
} from '../helpers/kube-webhooks.js';
import { commandExists, peerMissing, requirePeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { startRedis } from '../helpers/redis.js';

const CHART = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'helm', 'sigil');
const etcd = requirePeer('etcd');
const apiserver = requirePeer('kubernetes', 'kube-apiserver');
const kubectlPeer = requirePeer('kubernetes', 'kubectl');
const helmPeer = requirePeer('helm');
const redisMissing = peerMissing('redis-server', commandExists('redis-server'));
const skip = etcd.skip || apiserver.skip || kubectlPeer.skip;

/** Polls until `probe` returns a value (a bound for a slow machine, not an assertion on speed). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 240; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`${what}: not seen within a minute`);
}

describe('sigil admission webhook behind a real kube-apiserver', { skip }, () => {
  let plane: KubeControlPlane;
  let stack: RunningStack;
  let dir: string;
  let caBundle: string;
  let webhookPort: number;
  const servers: ChildProcess[] = [];
  let images: Record<string, string>;
  let digests: Record<string, string>;

  const kubectl = (...args: string[]) => plane.kubectl(args);
  const apply = (objects: unknown[]) =>
    plane.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  const imageOf = async (namespace: string, resource: string, path: string) =>
    (await kubectl('get', resource, '-n', namespace, '-o', `jsonpath={${path}}`)).stdout;
  /** The stack's trusted root for keyless, and its log key for key attestors (as cosign takes it). */
  const serveTrust = () => ({
    flags: ['--trusted-root', stack.trustedRootPath],
    env: { SIGSTORE_REKOR_PUBLIC_KEY: `${logKeyPath(join(dir, '.sigil', 'tlog'))}.pub` },
  });
  const serve = async (...flags: string[]) => {
    const trust = serveTrust();
    const server = await startAdmissionServe(
      ['--policies', 'policies', '--tls-dir', 'tls', ...trust.flags, ...flags],
      dir,
      trust.env,
    );
    servers.push(server);
    return server;
  };

  before(async () => {
    dir = await workDir();
    [plane, stack] = await Promise.all([
      startKubeControlPlane({ etcd: etcd.path, kubeApiserver: apiserver.path, kubectl: kubectlPeer.path }),
      startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' }),
    ]);
    ({ images, digests } = await prepareSeedScenario(stack, dir));

    // Serving certificate and caBundle as the manifests' steps make them, plus the loopback address the
    // API server dials by URL.
    webhookPort = await freePort();
    caBundle = await loopbackWebhookTls(dir);
    await serve('--addr', `127.0.0.1:${webhookPort}`, '--kubeconfig', plane.kubeconfig);
    const crds = await kubectl('apply', '-f', join(CHART, 'crds'));
    assert.equal(crds.code, 0, crds.stderr);
    for (const ns of ['ai-inference', 'fail-closed', 'fail-open', 'slow-closed', 'slow-open', 'replicas']) {
      assert.equal((await kubectl('create', 'namespace', ns)).code, 0);
    }
    const configured = await apply(manifestWebhooks(`127.0.0.1:${webhookPort}`, caBundle));
    assert.equal(configured.code, 0, configured.stderr);
  });

  after(async () => {
    for (const server of servers) server.kill('SIGTERM');
    await Promise.all([plane?.stop(), stack?.close()]);
  });

  it("5.2: the unsigned pod is denied, with the reason in kubectl's error, with and without --dry-run=server", async () => {
    for (const dryRun of [['--dry-run=server'], []]) {
      const result = await kubectl(
        'run',
        'test-unsigned',
        `--image=${images.unsigned}`,
        '-n',
        'ai-inference',
        ...dryRun,
      );
      assert.equal(result.code, 1, result.stdout);
      assert.match(
        result.stderr,
        /admission webhook "mutate\.sigil\.dev" denied the request: resource Pod\/ai-inference\/test-unsigned was blocked[\s\S]*\nverify-image-signatures:\n {2}verify-signature: 'image verification failed for .*: no signatures found/,
      );
    }
    assert.match((await kubectl('get', 'pod', 'test-unsigned', '-n', 'ai-inference')).stderr, /NotFound/);
  });

  it('5.3: the signed pod is created, its tag pinned to the digest it was verified at', async () => {
    const result = await kubectl('run', 'test-signed', `--image=${images.signed}`, '-n', 'ai-inference');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /pod\/test-signed created/);
    assert.equal(
      await imageOf('ai-inference', 'pod/test-signed', '.spec.containers[0].image'),
      `${images.signed}@${digests.signed}`,
    );
  });

  it('--dry-run=server decides the same and stores nothing: no pod, no PolicyReport', async () => {
    const dry = await kubectl(
      'run',
      'test-dry',
      `--image=${images.signed}`,
      '-n',
      'ai-inference',
      '--dry-run=server',
      '-o',
      'jsonpath={.spec.containers[0].image}',
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, `${images.signed}@${digests.signed}`, 'the dry run shows the pinned image');
    assert.match((await kubectl('get', 'pod', 'test-dry', '-n', 'ai-inference')).stderr, /NotFound/);
    // A later real pod's report landing means every report submitted before it was written too.
    await kubectl('run', 'test-after-dry', `--image=${images.signed}`, '-n', 'ai-inference');
    const scopes = await eventually('the PolicyReport of test-after-dry', async () => {
      const listed = await kubectl(
        'get',
        'policyreport',
        '-n',
        'ai-inference',
        '-o',
        'jsonpath={.items[*].scope.name}',
      );
      const names = listed.stdout.split(' ');
      return names.includes('test-after-dry') ? names : undefined;
    });
    assert.ok(!scopes.includes('test-dry'), `a dry run left a report: ${scopes.join(', ')}`);
  });

  it('a Deployment is decided by the autogen rules: signed admitted and pinned, unsigned denied', async () => {
    const ok = await kubectl('create', 'deployment', 'web', `--image=${images.signed}`, '-n', 'ai-inference');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(
      await imageOf('ai-inference', 'deployment/web', '.spec.template.spec.containers[0].image'),
      `${images.signed}@${digests.signed}`,
    );
    const denied = await kubectl(
      'create',
      'deployment',
      'bad',
      `--image=${images.unsigned}`,
      '-n',
      'ai-inference',
    );
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      /denied the request: resource Deployment\/ai-inference\/bad was blocked[\s\S]*\nverify-image-signatures:\n {2}autogen-verify-signature: .*no signatures found/,
    );
  });

  it('5.4 and Audit: the pod failing an Audit policy is admitted and its PolicyReport is listed', async () => {
    const listed = await eventually('the PolicyReport of test-signed', async () => {
      const all = await kubectl('get', 'policyreport', '-A', '-o', 'wide');
      return all.stdout.includes('test-signed') ? all.stdout : undefined;
    });
    assert.match(listed, /ai-inference\s+\S+\s+Pod\s+test-signed\s+1\s+1\s+0\s+0\s+0/);
    const json = await kubectl('get', 'policyreport', '-n', 'ai-inference', '-o', 'json');
    const report = (
      JSON.parse(json.stdout).items as {
        scope: { name: string };
        results: { policy: string; result: string }[];
      }[]
    ).find((r) => r.scope.name === 'test-signed');
    assert.deepEqual(report?.results.map((r) => [r.policy, r.result]).sort(), [
      ['require-sbom-attestation', 'fail'],
      ['verify-image-signatures', 'pass'],
    ]);
    assert.equal((await kubectl('describe', 'policyreport', '-n', 'ai-inference')).code, 0);
  });

  it('keyless (4.2) and an attestation with conditions each decide a pod through the API server', async () => {
    const keyless = await kubectl('run', 'keyless', `--image=${images.keyless}`, '-n', 'ai-inference');
    assert.equal(keyless.code, 0, keyless.stderr);
    const clean = await kubectl('run', 'clean', `--image=${images.clean}`, '-n', 'default');
    assert.equal(clean.code, 0, clean.stderr);
    const vulnerable = await kubectl('run', 'vulnerable', `--image=${images.vulnerable}`, '-n', 'default');
    assert.equal(vulnerable.code, 1);
    assert.match(
      vulnerable.stderr,
      /denied the request: [\s\S]*\nrequire-vuln-scan:\n {2}check-no-critical-vulns: .*does not meet the conditions: .*3 .*Equals 0 is false/,
    );
  });

  it('failurePolicy: with the webhook down, Fail rejects the pod and Ignore admits it', async () => {
    const down = `https://127.0.0.1:${await freePort()}/validate`;
    const configured = await apply([
      namespacedWebhook(
        'ValidatingWebhookConfiguration',
        'down-fail',
        ['fail-closed'],
        [{ name: 'down.sigil.dev', url: down, caBundle, failurePolicy: 'Fail' }],
      ),
      namespacedWebhook(
        'ValidatingWebhookConfiguration',
        'down-ignore',
        ['fail-open'],
        [{ name: 'down.sigil.dev', url: down, caBundle, failurePolicy: 'Ignore' }],
      ),
    ]);
    assert.equal(configured.code, 0, configured.stderr);
    const closed = await kubectl('run', 'p', `--image=${images.unmatched}`, '-n', 'fail-closed');
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /failed calling webhook "down\.sigil\.dev".*connection refused/);
    const open = await kubectl('run', 'p', `--image=${images.unmatched}`, '-n', 'fail-open');
    assert.equal(open.code, 0, open.stderr);
  });

  it('a webhook slower than timeoutSeconds: the API server gives up and applies the failurePolicy', async () => {
    const proxy = await startDelayingProxy({ host: '127.0.0.1', port: webhookPort }, 3000);
    try {
      const url = `https://127.0.0.1:${proxy.port}/validate/fail`;
      const configured = await apply([
        namespacedWebhook(
          'ValidatingWebhookConfiguration',
          'slow-fail',
          ['slow-closed'],
          [{ name: 'slow.sigil.dev', url, caBundle, failurePolicy: 'Fail', timeoutSeconds: 1 }],
        ),
        namespacedWebhook(
          'ValidatingWebhookConfiguration',
          'slow-ignore',
          ['slow-open'],
          [{ name: 'slow.sigil.dev', url, caBundle, failurePolicy: 'Ignore', timeoutSeconds: 1 }],
        ),
      ]);
      assert.equal(configured.code, 0, configured.stderr);
      const closed = await kubectl('run', 'p', `--image=${images.unmatched}`, '-n', 'slow-closed');
      assert.equal(closed.code, 1);
      assert.match(
        closed.stderr,
        /failed calling webhook "slow\.sigil\.dev".*(deadline exceeded|timeout|Timeout)/,
      );
      const open = await kubectl('run', 'p', `--image=${images.unmatched}`, '-n', 'slow-open');
      assert.equal(open.code, 0, open.stderr);
    } finally {
      await proxy.close();
    }
  });

  it("two replicas share decisions through Redis: the second webhook is answered from the first one's", {
    skip: redisMissing,
  }, async () => {
    const redis = await startRedis();
    try {
      const ports = [await freePort(), await freePort()];
      for (const port of ports) await serve('--addr', `127.0.0.1:${port}`, '--redis-url', redis.url);
      // Mutating webhooks are called one after another, in order: replica a, then replica b.
      const configured = await apply([
        namespacedWebhook(
          'MutatingWebhookConfiguration',
          'sigil-replicas',
          ['replicas'],
          ports.map((port, i) => ({
            name: `${'ab'[i]}.replicas.sigil.dev`,
            url: `https://127.0.0.1:${port}/mutate/fail`,
            caBundle,
            failurePolicy: 'Fail' as const,
          })),
        ),
      ]);
      assert.equal(configured.code, 0, configured.stderr);
      const pinned = `${images.clean?.replace(/:clean$/, '')}@${digests.clean}`;
      const created = await kubectl('run', 'shared', `--image=${pinned}`, '-n', 'replicas');
      assert.equal(created.code, 0, created.stderr);
      const lookups = async (port: number) => {
        const metrics = await httpsGet(port, '/metrics', {
          ca: await readFile(join(dir, 'tls', 'ca.crt'), 'utf8'),
        });
        return /sigil_admission_cache_lookups_total\{result="hit"\} (\d+)/.exec(metrics.text)?.[1];
      };
      assert.equal(await lookups(ports[1] as number), '1', "replica b answered from replica a's decision");
    } finally {
      await redis.stop();
    }
  });

  it("the API server timed sigil's webhooks in its own metrics, admitting and rejecting (bench peers reads them)", async () => {
    const metrics = await plane.get('/metrics');
    assert.equal(metrics.status, 200);
    const timed = [
      ...metrics.text.matchAll(
        /^apiserver_admission_webhook_admission_duration_seconds_count\{([^}]*)\} (\d+)/gm,
      ),
    ]
      .filter(
        ([, labels, count]) => /name="(mutate|validate)\.sigil\.dev"/.test(labels ?? '') && count !== '0',
      )
      .map(([, labels = '']) => {
        const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1];
        return `${label('name')} ${label('type')} rejected=${label('rejected')}`;
      });
    for (const expected of [
      'mutate.sigil.dev admit rejected=false',
      'mutate.sigil.dev admit rejected=true',
      'validate.sigil.dev validating rejected=false',
    ]) {
      assert.ok(timed.includes(expected), `${expected} in ${timed.join(', ')}`);
    }
  });

  it('the Helm chart installs against the API server (dry-run=server, then for real) and its webhooks work', {
    skip: helmPeer.skip,
  }, async () => {
    // The chart's webhook configurations replace the manifests' (same webhook names, one set at a time).
    await kubectl('delete', 'mutatingwebhookconfiguration', 'sigil');
    await kubectl('delete', 'validatingwebhookconfiguration', 'sigil');
    const port = await freePort();
    // A registry slower than the webhook's timeoutSeconds (2 here): sigil cannot decide in time. The image
    // is pinned already: a tag left unpinned by an undecided mutation is refused by the validating webhook
    // (verifyDigest), whatever the failurePolicy.
    const [registryHost, registryPort] = stack.registryAddress.split(':');
    const slow = await startDelayingProxy({ host: registryHost as string, port: Number(registryPort) }, 5000);
    const slowRegistry = `127.0.0.1:${slow.port}`;
    await writeFile(
      join(dir, 'registry-slow.yaml'),
      (await readFile(join(dir, 'policies', 'verify-image-signatures.yaml'), 'utf8'))
        .replace('name: verify-image-signatures', 'name: registry-slow')
        .replace(`${stack.registryAddress}/z3rox-lab/*`, `${slowRegistry}/*`),
    );
    const helm = (...args: string[]) =>
      runProcess(helmPeer.path, [...args, '--kubeconfig', plane.kubeconfig], { cwd: dir });
    const values = [
      '--namespace',
      'sigil-system',
      '--create-namespace',
      '--set',
      `service.port=${port}`,
      '--set',
      'webhook.failurePolicy=Ignore',
      '--set',
      'webhook.timeoutSeconds=2',
      '--set-file',
      `policies.files.verify\\.yaml=${join(dir, 'policies', 'verify-image-signatures.yaml')}`,
      '--set-file',
      `policies.files.slow\\.yaml=${join(dir, 'registry-slow.yaml')}`,
    ];
    const dry = await helm('install', 'sigil', CHART, ...values, '--dry-run=server');
    assert.equal(dry.code, 0, dry.stderr);
    const installed = await helm('install', 'sigil', CHART, ...values);
    assert.equal(installed.code, 0, installed.stderr);
    // No kubelet runs the Deployment: this process plays its pod, reachable at the Service's ClusterIP
    // (the API server dials ClusterIP:port and checks the certificate for sigil.sigil-system.svc).
    const clusterIp = (
      await kubectl('get', 'service', 'sigil', '-n', 'sigil-system', '-o', 'jsonpath={.spec.clusterIP}')
    ).stdout;
    const secret = JSON.parse(
      (await kubectl('get', 'secret', 'sigil-tls', '-n', 'sigil-system', '-o', 'json')).stdout,
    );
    const chartTls = join(dir, 'chart-tls');
    await mkdir(chartTls);
    for (const key of ['tls.crt', 'tls.key']) {
      await writeFile(join(chartTls, key), Buffer.from(secret.data[key], 'base64'));
    }
    const configMap = JSON.parse(
      (await kubectl('get', 'configmap', 'sigil-policies', '-n', 'sigil-system', '-o', 'json')).stdout,
    );
    await mkdir(join(dir, 'chart-policies'));
    for (const [file, text] of Object.entries(configMap.data as Record<string, string>)) {
      await writeFile(join(dir, 'chart-policies', file), text);
    }
    const trust = serveTrust();
    const chartArgs = ['--policies', 'chart-policies', '--tls-dir', 'chart-tls', ...trust.flags];
    servers.push(await startAdmissionServe([...chartArgs, '--addr', `${clusterIp}:${port}`], dir, trust.env));
    const denied = await kubectl('run', 'helm-unsigned', `--image=${images.unsigned}`, '-n', 'ai-inference');
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      /admission webhook "mutate\.sigil\.dev" denied the request: [\s\S]*no signatures found/,
    );
    const admitted = await kubectl('run', 'helm-signed', `--image=${images.signed}`, '-n', 'ai-inference');
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.equal(
      await imageOf('ai-inference', 'pod/helm-signed', '.spec.containers[0].image'),
      `${images.signed}@${digests.signed}`,
    );
    // failurePolicy Ignore (the chart's /mutate/ignore and /validate/ignore paths): sigil ends its work before
    // the API server's ?timeout=2s and admits with its warning; the reason reaches the API server's audit
    // log under the webhook's name.
    try {
      const ignored = await kubectl(
        'run',
        'helm-slow',
        `--image=${slowRegistry}/z3rox-lab/test@${digests.signed}`,
        '-n',
        'ai-inference',
      );
      assert.equal(ignored.code, 0, ignored.stderr);
      assert.match(
        ignored.stderr,
        /Warning: sigil admission could not decide, allowed by failurePolicy Ignore: no decision within 1500 ms/,
      );
    } finally {
      await slow.close();
    }
    const annotated = await eventually('the audit event of helm-slow', async () => {
      const lines = (await readFile(plane.auditLog, 'utf8'))
        .split('\n')
        .filter((l) => l.includes('"helm-slow"'));
      return lines.find((l) => l.includes('"ResponseComplete"') && l.includes('admission-error'));
    });
    assert.match(annotated, /"(mutate|validate)\.sigil\.dev\/admission-error":"no decision within 1500 ms/);
  });
});
