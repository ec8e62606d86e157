/**
 * The Helm chart of the private Sigstore stack (deploy/helm/sigil-sigstore), checked without a cluster:
 * `helm lint`, every object of `helm template` for several value sets validated against the Kubernetes
 * OpenAPI schemas (kubernetes-models), each container's flags checked against the `--help` of the sigil
 * command it runs, the Secrets mounted under the file names those commands read, Services and probes
 * reaching the named ports, PodDisruptionBudgets for 2+ replicas, and the value sets the chart refuses
 * (by values.schema.json or by a template's fail) with what to set instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { sigil } from '../helpers/cli.js';
import {
  componentOf,
  deploymentOf,
  helm,
  helmPeer,
  type KubeObject,
  objectOf,
  REQUIRED_VALUES,
  renderSigstore,
  SIGSTORE_CHART,
} from '../helpers/sigstore-chart.js';

const NAMESPACE = 'sigstore';
const MODELS = [
  Deployment,
  StatefulSet,
  Service,
  PodDisruptionBudget,
  ConfigMap,
  PersistentVolumeClaim,
  Secret,
];

function render(...args: string[]): KubeObject[] {
  const objects = renderSigstore(NAMESPACE, [...REQUIRED_VALUES, ...args]);
  for (const object of objects) {
    const Model = MODELS.find((m) => m.apiVersion === object.apiVersion && m.kind === object.kind);
    const id = `${object.kind} ${object.metadata.name}`;
    assert.ok(Model, `${id}: no Kubernetes schema for this kind in the test`);
    try {
      (Reflect.construct(Model, [object]) as { validate(): void }).validate();
    } catch (err) {
      assert.fail(`${id}: ${(err as Error).message}`);
    }
    assert.equal(object.metadata.namespace, NAMESPACE, id);
  }
  return objects;
}

const kinds = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${componentOf(o)}`).sort();

/** The long options a sigil command's --help lists. */
const helpFlags = new Map<string, Set<string>>();
async function flagsOf(command: string[]): Promise<Set<string>> {
  const key = command.join(' ');
  let flags = helpFlags.get(key);
  if (!flags) {
    const help = await sigil([...command, '--help']);
    assert.equal(help.code, 0, help.stderr);
    flags = new Set(help.stdout.match(/--[a-z0-9-]+/g));
    helpFlags.set(key, flags);
  }
  return flags;
}

/**
 * What every component's pod needs to run: `node bin/sigil.js <component> serve` with flags that command
 * has, the Service and probes on the named port the --addr listens on, non-root with a read-only root
 * filesystem. Returns the main container's args keyed by flag.
 */
async function checkComponent(objects: KubeObject[], component: string): Promise<Map<string, string>> {
  const deployment = deploymentOf(objects, component);
  const pod = deployment.spec?.template;
  const container = pod?.spec?.containers[0];
  assert.ok(pod?.spec && container, component);
  assert.deepEqual(container.command?.slice(0, 2), ['node', 'bin/sigil.js']);
  const command = container.command?.slice(2) ?? [];
  const known = await flagsOf(command);
  const args = new Map<string, string>();
  for (const arg of container.args ?? []) {
    const [flag, ...value] = arg.split('=');
    assert.ok(known.has(flag as string), `${component}: \`sigil ${command.join(' ')}\` has no ${flag}`);
    args.set(flag as string, value.join('='));
  }
  const port = container.ports?.find((p) => p.name === 'http');
  assert.equal(args.get('--addr'), `0.0.0.0:${port?.containerPort}`, `${component} listens on its port`);
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    assert.equal(probe?.httpGet?.port ?? probe?.tcpSocket?.port, 'http', `${component} probes its port`);
  }
  assert.equal(pod.spec.securityContext?.runAsNonRoot, true);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false);

  const service = new Service(objectOf(objects, 'Service', component) as never);
  assert.equal(service.spec?.ports?.[0]?.targetPort, 'http');
  for (const [label, value] of Object.entries(service.spec?.selector ?? {}))
    assert.equal(pod.metadata?.labels?.[label], value, `${component} Service selects its pods`);
  assert.deepEqual(deployment.spec?.selector.matchLabels, service.spec?.selector);
  return args;
}

/** Where a Secret's file lands in a container: `<mountPath>` of a subPath mount, or mountPath/<key>. */
function secretFiles(deployment: Deployment, container = 0): Map<string, string> {
  const pod = deployment.spec?.template.spec;
  const files = new Map<string, string>();
  for (const mount of pod?.containers[container]?.volumeMounts ?? []) {
    const secret = pod?.volumes?.find((v) => v.name === mount.name)?.secret;
    if (!secret) continue;
    if (mount.subPath) files.set(`${secret.secretName}:${mount.subPath}`, mount.mountPath);
    for (const item of secret.items ?? [])
      files.set(`${secret.secretName}:${item.key}`, `${mount.mountPath}/${item.path}`);
  }
  return files;
}

const budgetOf = (objects: KubeObject[], component: string) => {
  const object = objectOf(objects, 'PodDisruptionBudget', component);
  return object && new PodDisruptionBudget(object as never);
};

function refused(args: string[], message: RegExp): void {
  const result = helm(['template', 'sigil', SIGSTORE_CHART, '--namespace', NAMESPACE, ...args]);
  assert.notEqual(result.status, 0, args.join(' '));
  assert.match(result.stderr, message, args.join(' '));
}

describe('Helm chart deploy/helm/sigil-sigstore', { skip: helmPeer.skip }, () => {
  it('helm lint --strict passes with the Secrets named; the defaults alone fail naming the Secret to create', () => {
    const lint = helm(['lint', '--strict', SIGSTORE_CHART, '--namespace', NAMESPACE, ...REQUIRED_VALUES]);
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    refused([], /ca\.existingSecret: name the Secret holding the files of `sigil ca init`/);
    refused(['--set', 'ca.existingSecret=x'], /tuf\.keys\.existingSecret: name the Secret/);
  });

  it('defaults: log on SQLite, CA with its CT log, TUF, no dev issuer; real flags, keys where the commands read them', async () => {
    const objects = render();
    assert.deepEqual(kinds(objects), [
      'ConfigMap/ca',
      'Deployment/ca',
      'Deployment/tlog',
      'Deployment/tuf',
      'PersistentVolumeClaim/ca',
      'PersistentVolumeClaim/tlog',
      'PersistentVolumeClaim/tuf',
      'Service/ca',
      'Service/tlog',
      'Service/tuf',
    ]);

    const tlog = await checkComponent(objects, 'tlog');
    assert.equal(tlog.get('--hostname'), `sigil-sigil-sigstore-tlog.${NAMESPACE}.svc`);
    assert.equal(tlog.has('--database'), false);
    const tlogDeployment = deploymentOf(objects, 'tlog');
    assert.equal(tlogDeployment.spec?.replicas, 1);
    assert.equal(tlogDeployment.spec?.strategy?.type, 'Recreate', 'one SQLite writer at a time');
    assert.equal(
      tlogDeployment.spec?.template.spec?.containers[0]?.readinessProbe?.httpGet?.path,
      '/api/v1/log',
      'readiness reads the store; every replica serves, integrating or not',
    );
    assert.equal(tlogDeployment.spec?.template.spec?.containers[0]?.livenessProbe?.httpGet?.path, '/healthz');
    const tlogVolume = tlogDeployment.spec?.template.spec?.volumes?.find((v) => v.name === 'data');
    assert.equal(
      tlogVolume?.persistentVolumeClaim?.claimName,
      objectOf(objects, 'PersistentVolumeClaim', 'tlog')?.metadata.name,
    );

    const ca = await checkComponent(objects, 'ca');
    const caDeployment = deploymentOf(objects, 'ca');
    assert.deepEqual(
      Object.fromEntries(secretFiles(caDeployment)),
      Object.fromEntries(
        ['chain.pem', 'intermediate-key.pem', 'ctlog-key.pem'].map((f) => [
          `sigil-ca:${f}`,
          `${ca.get('--data-dir')}/${f}`,
        ]),
      ),
      'the files of `sigil ca init` in --data-dir',
    );
    assert.equal(ca.has('--ct-log-url'), false, 'the CA runs its own CT log');
    const config = new ConfigMap(objectOf(objects, 'ConfigMap', 'ca') as never);
    const configMount = caDeployment.spec?.template.spec?.containers[0]?.volumeMounts?.find(
      (m) => m.name === 'config',
    );
    assert.equal(ca.get('--config'), `${configMount?.mountPath}/config.json`);
    assert.deepEqual(JSON.parse(config.data?.['config.json'] ?? ''), { OIDCIssuers: {}, MetaIssuers: {} });
    assert.equal(objectOf(objects, 'Deployment', 'oidc'), undefined, 'no dev issuer by default');
    assert.equal(objectOf(objects, 'Deployment', 'tsa'), undefined, 'no TSA by default');
    for (const o of objects.filter((o) => o.kind === 'Deployment'))
      assert.equal(
        new Deployment(o as never).spec?.template.metadata?.annotations?.['prometheus.io/scrape'],
        undefined,
        'no scrape annotations by default',
      );

    const tuf = await checkComponent(objects, 'tuf');
    const tufDeployment = deploymentOf(objects, 'tuf');
    assert.equal(tufDeployment.spec?.replicas, 1, 'one writer of the repository');
    assert.deepEqual(
      Object.fromEntries(secretFiles(tufDeployment)),
      Object.fromEntries(
        ['targets.pem', 'snapshot.pem', 'timestamp.pem'].map((f) => [
          `sigil-tuf:${f}`,
          `${tuf.get('--repo-dir')}/keys/${f}`,
        ]),
      ),
      'the online keys only: no root.pem',
    );
    assert.equal(tuf.get('--refresh-interval'), '1h');
    // No component runs 2 replicas by default, so no PodDisruptionBudget would do anything but block drains.
    assert.equal(objects.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
  });

  it('PostgreSQL by URL from a Secret, 3 log replicas: no volume, the key from its Secret, a PodDisruptionBudget', async () => {
    const objects = render(
      ...['--set', 'tlog.database.existingSecret=tlog-db', '--set', 'tlog.key.existingSecret=tlog-key'],
      ...['--set', 'tlog.replicaCount=3', '--set', 'tlog.readinessPath=/lease/ready'],
    );
    const args = await checkComponent(objects, 'tlog');
    assert.equal(args.get('--database'), '$(SIGIL_DATABASE_URL)');
    const deployment = deploymentOf(objects, 'tlog');
    const container = deployment.spec?.template.spec?.containers[0];
    assert.deepEqual(container?.env, [
      { name: 'SIGIL_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'tlog-db', key: 'url' } } },
    ]);
    assert.equal(deployment.spec?.replicas, 3);
    assert.equal(
      args.get('--hostname'),
      `sigil-sigil-sigstore-tlog.${NAMESPACE}.svc`,
      'one signer name for all',
    );
    assert.notEqual(deployment.spec?.strategy?.type, 'Recreate');
    assert.equal(container?.readinessProbe?.httpGet?.path, '/lease/ready');
    assert.deepEqual(Object.fromEntries(secretFiles(deployment)), {
      'tlog-key:log-key.pem': `${args.get('--data-dir')}/log-key.pem`,
    });
    assert.equal(objectOf(objects, 'PersistentVolumeClaim', 'tlog'), undefined);
    assert.ok(deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'data')?.emptyDir);
    const budget = budgetOf(objects, 'tlog');
    assert.deepEqual(budget?.spec?.selector?.matchLabels, deployment.spec?.selector.matchLabels);
    assert.equal(budget?.spec?.minAvailable, 1);

    const url = render(
      '--set',
      'tlog.database.url=postgres://sigil@db.internal/sigil',
      '--set',
      'tlog.key.existingSecret=k',
    );
    assert.equal((await checkComponent(url, 'tlog')).get('--database'), 'postgres://sigil@db.internal/sigil');
  });

  it('postgresql.enabled: a PostgreSQL StatefulSet for trials, its generated URL the log reads from their Secret', async () => {
    const objects = render('--set', 'postgresql.enabled=true', '--set', 'tlog.key.existingSecret=tlog-key');
    const secret = new Secret(objectOf(objects, 'Secret', 'postgresql') as never);
    const service = new Service(objectOf(objects, 'Service', 'postgresql') as never);
    const statefulSet = new StatefulSet(objectOf(objects, 'StatefulSet', 'postgresql') as never);
    const password = Buffer.from(secret.data?.password ?? '', 'base64').toString();
    assert.match(password, /^[A-Za-z0-9]{32}$/);
    assert.equal(
      Buffer.from(secret.data?.url ?? '', 'base64').toString(),
      `postgres://sigil:${password}@${service.metadata?.name}.${NAMESPACE}.svc:5432/sigil`,
    );
    const pod = statefulSet.spec?.template;
    const container = pod?.spec?.containers[0];
    assert.equal(service.spec?.ports?.[0]?.targetPort, container?.ports?.[0]?.name);
    assert.equal(container?.ports?.[0]?.containerPort, 5432);
    for (const [label, value] of Object.entries(service.spec?.selector ?? {}))
      assert.equal(pod?.metadata?.labels?.[label], value);
    assert.deepEqual(container?.env?.find((e) => e.name === 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef, {
      name: secret.metadata?.name,
      key: 'password',
    });
    assert.equal(pod?.spec?.securityContext?.runAsNonRoot, true);
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
    const args = await checkComponent(objects, 'tlog');
    assert.equal(args.get('--database'), '$(SIGIL_DATABASE_URL)');
    assert.deepEqual(deploymentOf(objects, 'tlog').spec?.template.spec?.containers[0]?.env, [
      {
        name: 'SIGIL_DATABASE_URL',
        valueFrom: { secretKeyRef: { name: secret.metadata?.name, key: 'url' } },
      },
    ]);
  });

  it('2 CA replicas with an external CT log: no volume, its key checked, a PodDisruptionBudget; PKCS#11 flags', async () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
    const objects = render(
      ...[
        '--set',
        'ca.replicaCount=2',
        '--set',
        'ca.ctLog.url=http://ctlog.internal',
        '--set',
        `ca.ctLog.publicKey=${pem}`,
      ],
      ...['--set', 'ca.pkcs11.configSecret=hsm', '--set-string', 'ca.pkcs11.hsmCarootId=99'],
    );
    const args = await checkComponent(objects, 'ca');
    assert.equal(args.get('--ct-log-url'), 'http://ctlog.internal');
    const config = new ConfigMap(objectOf(objects, 'ConfigMap', 'ca') as never);
    assert.equal(config.data?.['ctlog.pub'], pem);
    assert.equal(args.get('--ct-log-public-key'), args.get('--config')?.replace('config.json', 'ctlog.pub'));
    assert.equal(args.get('--hsm-caroot-id'), '99');
    assert.equal(args.get('--hsm-key-label'), 'PKCS11CA');
    const deployment = deploymentOf(objects, 'ca');
    const files = secretFiles(deployment);
    assert.equal(files.get('sigil-ca:ctlog-key.pem'), `${args.get('--data-dir')}/ctlog-key.pem`);
    assert.equal(files.has('sigil-ca:intermediate-key.pem'), false, 'the CA key is on the token');
    const hsmMount = deployment.spec?.template.spec?.containers[0]?.volumeMounts?.find(
      (m) => m.name === 'pkcs11',
    );
    assert.equal(args.get('--pkcs11-config-path'), `${hsmMount?.mountPath}/crypto11.conf`);
    assert.equal(objectOf(objects, 'PersistentVolumeClaim', 'ca'), undefined);
    assert.deepEqual(
      budgetOf(objects, 'ca')?.spec?.selector?.matchLabels,
      deployment.spec?.selector.matchLabels,
    );
  });

  it('2 CA replicas sharing their own CT log on PostgreSQL by a URL from a Secret: no volume, a PodDisruptionBudget', async () => {
    const objects = render(
      ...['--set', 'ca.replicaCount=2', '--set', 'ca.ctLog.database.existingSecret=ct-db'],
    );
    const args = await checkComponent(objects, 'ca');
    assert.equal(args.get('--ct-log-database'), '$(SIGIL_CT_LOG_DATABASE_URL)');
    assert.equal(args.has('--ct-log-url'), false);
    const deployment = deploymentOf(objects, 'ca');
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    assert.deepEqual(env.find((e) => e.name === 'SIGIL_CT_LOG_DATABASE_URL')?.valueFrom?.secretKeyRef, {
      name: 'ct-db',
      key: 'url',
    });
    assert.equal(deployment.spec?.strategy, undefined, 'rolling updates: no SQLite writer to hand over');
    assert.equal(objectOf(objects, 'PersistentVolumeClaim', 'ca'), undefined);
    assert.ok(budgetOf(objects, 'ca'));
  });

  it('oidc.enabled: the dev issuer in a Deployment of its own naming its Service URL, trusted by any number of CAs', async () => {
    const objects = render(
      ...['--set', 'oidc.enabled=true', '--set', 'ca.replicaCount=2', '--set', 'ca.ctLog.url=http://ct'],
      '--set',
      'ca.oidcIssuers.https://issuer\\.example/.IssuerURL=https://issuer.example/',
      '--set',
      'ca.oidcIssuers.https://issuer\\.example/.Type=email',
    );
    await checkComponent(objects, 'ca');
    assert.equal(
      deploymentOf(objects, 'ca').spec?.template.spec?.containers.length,
      1,
      'the CA alone in its pod',
    );
    const args = await checkComponent(objects, 'oidc');
    const base = `http://sigil-sigil-sigstore-oidc.${NAMESPACE}.svc`;
    assert.equal(args.get('--issuer-url'), base, 'its Service URL (port 80)');
    const deployment = deploymentOf(objects, 'oidc');
    assert.equal(deployment.spec?.replicas, 1, 'one issuer key');
    assert.equal(objectOf(objects, 'Service', 'oidc')?.metadata.name, 'sigil-sigil-sigstore-oidc');
    const issuers = JSON.parse(
      new ConfigMap(objectOf(objects, 'ConfigMap', 'ca') as never).data?.['config.json'] ?? '',
    ).OIDCIssuers;
    assert.deepEqual(Object.keys(issuers).sort(), [
      `${base}/email`,
      `${base}/github-actions`,
      `${base}/gitlab`,
      'https://issuer.example/',
    ]);
    const named = render('--set', 'oidc.enabled=true', '--set', 'oidc.issuerUrl=https://oidc.example.com');
    assert.equal((await checkComponent(named, 'oidc')).get('--issuer-url'), 'https://oidc.example.com');
    assert.ok(
      JSON.parse(new ConfigMap(objectOf(named, 'ConfigMap', 'ca') as never).data?.['config.json'] ?? '')
        .OIDCIssuers['https://oidc.example.com/email'],
    );
    // The issuer alone, without a CA, is allowed (a CA elsewhere may trust it).
    assert.ok(
      objectOf(render('--set', 'oidc.enabled=true', '--set', 'ca.enabled=false'), 'Deployment', 'oidc'),
    );
  });

  it('tsa.enabled: 2 stateless replicas signing with the chain and key of its Secret, a PodDisruptionBudget', async () => {
    const objects = render('--set', 'tsa.enabled=true', '--set', 'tsa.existingSecret=sigil-tsa');
    const args = await checkComponent(objects, 'tsa');
    const deployment = deploymentOf(objects, 'tsa');
    assert.equal(deployment.spec?.replicas, 2);
    assert.deepEqual(Object.fromEntries(secretFiles(deployment)), {
      'sigil-tsa:chain.pem': args.get('--certificate-chain'),
      'sigil-tsa:key.pem': args.get('--key'),
    });
    assert.equal(args.has('--data-dir'), false, 'nothing made per pod');
    assert.equal(
      deployment.spec?.template.spec?.containers[0]?.readinessProbe?.httpGet?.path,
      '/api/v1/timestamp/certchain',
    );
    assert.deepEqual(
      budgetOf(objects, 'tsa')?.spec?.selector?.matchLabels,
      deployment.spec?.selector.matchLabels,
    );
    const one = render(
      ...['--set', 'tsa.enabled=true', '--set', 'tsa.existingSecret=s', '--set', 'tsa.replicaCount=1'],
      ...['--set', 'tsa.chainKey=tsa-chain.pem', '--set', 'tsa.keyKey=tsa-key.pem'],
    );
    assert.equal(budgetOf(one, 'tsa'), undefined);
    assert.deepEqual([...secretFiles(deploymentOf(one, 'tsa')).keys()], ['s:tsa-chain.pem', 's:tsa-key.pem']);
  });

  it('metrics.annotations: every sigil pod carries the prometheus.io annotations for its own port', () => {
    const objects = render(
      ...['--set', 'metrics.annotations=true', '--set', 'oidc.enabled=true'],
      ...['--set', 'tsa.enabled=true', '--set', 'tsa.existingSecret=t'],
    );
    for (const component of ['tlog', 'ca', 'tuf', 'tsa', 'oidc']) {
      const pod = deploymentOf(objects, component).spec?.template;
      assert.deepEqual(
        {
          ...pod?.metadata?.annotations,
          'checksum/config': undefined,
        },
        {
          'checksum/config': undefined,
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(pod?.spec?.containers[0]?.ports?.[0]?.containerPort),
          'prometheus.io/path': '/metrics',
        },
        component,
      );
    }
  });

  it('components can be left out; the config checksum rolls the CA when its issuers change', () => {
    const objects = render('--set', 'tuf.enabled=false', '--set', 'ca.enabled=false');
    assert.deepEqual(kinds(objects), ['Deployment/tlog', 'PersistentVolumeClaim/tlog', 'Service/tlog']);
    const checksum = (args: string[]) =>
      deploymentOf(render(...args), 'ca').spec?.template.metadata?.annotations?.['checksum/config'];
    assert.notEqual(checksum([]), checksum(['--set', 'oidc.enabled=true']));
  });

  it('refuses what cannot work, saying what to set', () => {
    const r = REQUIRED_VALUES;
    refused(
      [...r, '--set', 'tlog.replicaCount=2'],
      /tlog\.replicaCount > 1 needs tlog\.database or postgresql\.enabled \(PostgreSQL\)/,
    );
    refused(
      [...r, '--set', 'tlog.database.url=postgres://db/x'],
      /tlog\.database \(or postgresql\.enabled\) needs tlog\.key\.existingSecret/,
    );
    refused(
      [
        ...r,
        '--set',
        'postgresql.enabled=true',
        '--set',
        'tlog.key.existingSecret=k',
        '--set',
        'tlog.database.url=postgres://db/x',
      ],
      /postgresql\.enabled and tlog\.database both name the log's database: keep one/,
    );
    refused(
      [...r, '--set', 'ca.replicaCount=2'],
      /ca\.replicaCount > 1 needs ca\.ctLog\.database \(or ca\.ctLog\.url\)/,
    );
    refused(
      [...r, '--set', 'ca.ctLog.url=http://ct', '--set', 'ca.ctLog.database.url=postgres://db/ct'],
      /ca\.ctLog\.url and ca\.ctLog\.database exclude each other/,
    );
    refused(
      [...r, '--set', 'tsa.enabled=true'],
      /tsa\.existingSecret: name the Secret holding the TSA's chain\.pem and key\.pem/,
    );
    refused([...r, '--set', 'ca.pkcs11.configSecret=hsm'], /needs ca\.pkcs11\.hsmCarootId/);
  });

  it('values.schema.json rejects bad ports, durations, URLs, types and misspelt keys', () => {
    for (const [set, message] of [
      ['tlog.port=80', /at '\/tlog\/port': minimum: got 80, want 1,024/],
      ['tlog.replicas=2', /at '\/tlog': additional properties 'replicas' not allowed/],
      ['tlog.replicaCount=0', /at '\/tlog\/replicaCount': minimum: got 0, want 1/],
      ['tuf.refreshInterval=daily', /at '\/tuf\/refreshInterval': 'daily' does not match pattern/],
      ['tlog.database.url=mysql://db/x', /at '\/tlog\/database\/url': 'mysql:\/\/db\/x' does not match/],
      ['ca.ctLog.publicKey=abc', /at '\/ca\/ctLog\/publicKey': 'abc' does not match pattern/],
      ['oidc.enabled=yes', /at '\/oidc\/enabled': got string, want boolean/],
      ['oidc.issuerUrl=oidc.svc', /at '\/oidc\/issuerUrl': 'oidc.svc' does not match pattern/],
      ['tsa.port=443', /at '\/tsa\/port': minimum: got 443, want 1,024/],
      ['metrics.annotations=yes', /at '\/metrics\/annotations': got string, want boolean/],
      ['image.digest=latest', /at '\/image\/digest': 'latest' does not match pattern/],
    ] as const) {
      refused([...REQUIRED_VALUES, '--set', set], message);
    }
  });
});
