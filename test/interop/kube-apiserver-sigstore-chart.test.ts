/**
 * deploy/helm/sigil-sigstore against a REAL kube-apiserver (etcd + kube-apiserver + kubectl, the pinned
 * peers, with the pinned helm): every value set the chart tests render is applied with server-side apply
 * as a dry run (the API server's own validation, strict about unknown fields), then one release is
 * installed for real, upgraded to PostgreSQL with 3 log replicas, a TSA and the dev issuer, and uninstalled,
 * leaving its volumes.
 * There is no kubelet: the objects are stored, pods stay Pending (test/deploy/helm-sigstore-pods.test.ts
 * runs them).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { runProcess, workDir } from '../helpers/cli.js';
import { type KubeControlPlane, startKubeControlPlane } from '../helpers/kube-control-plane.js';
import { requirePeer } from '../helpers/peers.js';
import { helmPeer, REQUIRED_VALUES, SIGSTORE_CHART } from '../helpers/sigstore-chart.js';

const etcd = requirePeer('etcd');
const apiserver = requirePeer('kubernetes', 'kube-apiserver');
const kubectlPeer = requirePeer('kubernetes', 'kubectl');
const skip = etcd.skip || apiserver.skip || kubectlPeer.skip || helmPeer.skip;
const NAMESPACE = 'sigstore';

const POSTGRES_REPLICAS = [
  ...['--set', 'tlog.database.existingSecret=tlog-db', '--set', 'tlog.key.existingSecret=tlog-key'],
  ...['--set', 'tlog.replicaCount=3'],
];
const TSA_AND_ISSUER = [
  ...['--set', 'tsa.enabled=true', '--set', 'tsa.existingSecret=sigil-tsa', '--set', 'oidc.enabled=true'],
];
const VALUE_SETS: Record<string, string[]> = {
  'the Secrets only': [],
  'PostgreSQL from a Secret, 3 log replicas': POSTGRES_REPLICAS,
  'PostgreSQL by URL': [
    '--set',
    'tlog.database.url=postgres://sigil@db/sigil',
    '--set',
    'tlog.key.existingSecret=k',
  ],
  '2 CA replicas, external CT log, PKCS#11': [
    ...['--set', 'ca.replicaCount=2', '--set', 'ca.ctLog.url=http://ctlog.internal'],
    ...['--set', 'ca.pkcs11.configSecret=hsm', '--set-string', 'ca.pkcs11.hsmCarootId=99'],
  ],
  'bundled PostgreSQL for trials': ['--set', 'postgresql.enabled=true', '--set', 'tlog.key.existingSecret=k'],
  'dev OIDC issuer on, TUF seeded': [
    '--set',
    'oidc.enabled=true',
    '--set',
    'tuf.seed.existingSecret=tuf-seed',
  ],
  'TSA (2 replicas), dev OIDC issuer for 2 CAs, metrics annotations': [
    ...TSA_AND_ISSUER,
    ...['--set', 'ca.replicaCount=2', '--set', 'ca.ctLog.url=http://ctlog.internal'],
    ...['--set', 'metrics.annotations=true'],
  ],
};

describe('the sigil-sigstore chart on a real kube-apiserver', { skip }, () => {
  let plane: KubeControlPlane;
  let dir: string;
  const kubectl = async (...args: string[]) => {
    const result = await plane.kubectl(args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const helm = (...args: string[]) =>
    runProcess(helmPeer.path, [...args, '--kubeconfig', plane.kubeconfig], { cwd: dir });

  before(async () => {
    dir = await workDir();
    plane = await startKubeControlPlane({
      etcd: etcd.path,
      kubeApiserver: apiserver.path,
      kubectl: kubectlPeer.path,
    });
    await kubectl('create', 'namespace', NAMESPACE);
  });

  after(async () => {
    await plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [name, values] of Object.entries(VALUE_SETS)) {
    it(`${name}: every rendered object passes the API server's server-side apply (dry run)`, async () => {
      const rendered = await helm(
        'template',
        'sigil',
        SIGSTORE_CHART,
        '-n',
        NAMESPACE,
        ...REQUIRED_VALUES,
        ...values,
      );
      assert.equal(rendered.code, 0, rendered.stderr);
      const applied = await plane.kubectl(
        [
          'apply',
          '--server-side',
          '--dry-run=server',
          '--field-manager=helm-test',
          '--validate=strict',
          '-f',
          '-',
        ],
        rendered.stdout,
      );
      assert.equal(applied.code, 0, applied.stderr);
      const objects = rendered.stdout.split('\n').filter((l) => l.startsWith('kind: ')).length;
      assert.equal(applied.stdout.trim().split('\n').length, objects, applied.stdout);
    });
  }

  it('installs (after a server dry run), upgrades to PostgreSQL with 3 log replicas, a TSA and the dev issuer, uninstalls keeping the volumes', async () => {
    const dry = await helm(
      'install',
      'sigil',
      SIGSTORE_CHART,
      '-n',
      NAMESPACE,
      ...REQUIRED_VALUES,
      '--dry-run=server',
    );
    assert.equal(dry.code, 0, dry.stderr);
    const installed = await helm('install', 'sigil', SIGSTORE_CHART, '-n', NAMESPACE, ...REQUIRED_VALUES);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(
      installed.stdout,
      /Transparency log \(Rekor v1 API\): http:\/\/sigil-sigil-sigstore-tlog\.sigstore\.svc/,
    );
    const names = async (kind: string) =>
      (await kubectl('get', kind, '-n', NAMESPACE, '-o', 'jsonpath={.items[*].metadata.name}'))
        .split(' ')
        .filter(Boolean)
        .sort();
    const prefix = 'sigil-sigil-sigstore';
    assert.deepEqual(await names('deployments'), [`${prefix}-ca`, `${prefix}-tlog`, `${prefix}-tuf`]);
    assert.deepEqual(await names('services'), [`${prefix}-ca`, `${prefix}-tlog`, `${prefix}-tuf`]);
    assert.deepEqual(await names('persistentvolumeclaims'), [
      `${prefix}-ca`,
      `${prefix}-tlog`,
      `${prefix}-tuf`,
    ]);
    assert.deepEqual(await names('poddisruptionbudgets'), []);

    const upgraded = await helm(
      'upgrade',
      'sigil',
      SIGSTORE_CHART,
      '-n',
      NAMESPACE,
      ...REQUIRED_VALUES,
      ...POSTGRES_REPLICAS,
      ...TSA_AND_ISSUER,
    );
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.deepEqual(await names('deployments'), [
      `${prefix}-ca`,
      `${prefix}-oidc`,
      `${prefix}-tlog`,
      `${prefix}-tsa`,
      `${prefix}-tuf`,
    ]);
    assert.equal(
      await kubectl(
        'get',
        'deployment',
        `${prefix}-tlog`,
        '-n',
        NAMESPACE,
        '-o',
        'jsonpath={.spec.replicas}',
      ),
      '3',
    );
    assert.deepEqual(await names('poddisruptionbudgets'), [`${prefix}-tlog`, `${prefix}-tsa`]);

    const uninstalled = await helm('uninstall', 'sigil', '-n', NAMESPACE);
    assert.equal(uninstalled.code, 0, uninstalled.stderr);
    assert.deepEqual(await names('deployments'), []);
    // helm.sh/resource-policy: keep: a log, a CT log and a TUF repository cannot start over.
    assert.deepEqual(await names('persistentvolumeclaims'), [
      `${prefix}-ca`,
      `${prefix}-tlog`,
      `${prefix}-tuf`,
    ]);
  });

  it('the bundled PostgreSQL keeps the password it generated on install across upgrades', async () => {
    const values = [
      ...REQUIRED_VALUES,
      '--set',
      'postgresql.enabled=true',
      '--set',
      'tlog.key.existingSecret=k',
    ];
    const namespace = ['-n', 'trial', '--create-namespace'];
    const url = async () =>
      Buffer.from(
        await kubectl(
          'get',
          'secret',
          'trial-sigil-sigstore-postgresql',
          '-n',
          'trial',
          '-o',
          'jsonpath={.data.url}',
        ),
        'base64',
      ).toString();
    const installed = await helm('install', 'trial', SIGSTORE_CHART, ...namespace, ...values);
    assert.equal(installed.code, 0, installed.stderr);
    const first = await url();
    assert.match(
      first,
      /^postgres:\/\/sigil:[A-Za-z0-9]{32}@trial-sigil-sigstore-postgresql\.trial\.svc:5432\/sigil$/,
    );
    const upgraded = await helm(
      'upgrade',
      'trial',
      SIGSTORE_CHART,
      '-n',
      'trial',
      ...values,
      '--set',
      'tlog.batchSize=256',
    );
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.equal(await url(), first);
  });
});
