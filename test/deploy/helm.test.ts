/**
 * The Helm chart and the plain manifests, checked without a cluster: `helm lint`, then every object of
 * `helm template` (default values and variations) and of deploy/manifests/sigil.yaml validated against the
 * Kubernetes OpenAPI schemas (kubernetes-models), then what makes the webhook work once applied: the
 * caBundle is the CA of the serving Secret, the Service reaches the container port, both webhooks skip
 * kube-system and their own namespace, RBAC grants PolicyReports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { caBundleOf, createWebhookTls } from '../../src/admission/index.js';
import { readPolicyDocument } from '../../src/policy/index.js';
import { commandExists, peerMissing } from '../helpers/peers.js';

const CHART = 'deploy/helm/sigil';
const MANIFESTS = 'deploy/manifests/sigil.yaml';
const NAMESPACE = 'sigil-system';
/** What the manifests' users replace with the caBundle `sigil admission tls` prints. */
const CA_BUNDLE_PLACEHOLDER = '$' + '{CA_BUNDLE}';
const skip = peerMissing('helm', commandExists('helm'));

interface ModelClass<T> {
  apiVersion: string;
  kind: string;
  new (data: never): T;
}

/** Every kind the chart and the manifests may contain; anything else fails the test (no schema to check it). */
const MODELS: ModelClass<{ validate(): void }>[] = [
  Namespace,
  ServiceAccount,
  Secret,
  ConfigMap,
  Service,
  Deployment,
  PodDisruptionBudget,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
];

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

function validate(object: KubeObject, where: string): void {
  const Model = MODELS.find((m) => m.apiVersion === object.apiVersion && m.kind === object.kind);
  const id = `${where}: ${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
  assert.ok(Model, `${id}: no Kubernetes schema for this kind in the test`);
  try {
    (Reflect.construct(Model, [object]) as { validate(): void }).validate();
  } catch (err) {
    assert.fail(`${id}: ${(err as Error).message}`);
  }
}

function parseStream(text: string, where: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((doc, i) => {
    assert.deepEqual(doc.errors, [], `${where}: document ${i + 1}`);
    const object = doc.toJS() as KubeObject | null;
    if (object === null) return [];
    validate(object, where);
    return [object];
  });
}

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('helm', args, { encoding: 'utf8' });
}

function render(namespace: string, ...args: string[]): KubeObject[] {
  const result = helm(['template', 'sigil', CHART, '--namespace', namespace, ...args]);
  assert.equal(result.status, 0, result.stderr);
  // Long values (a caBundle) cut short, so a failure message still fits on a line.
  const shown = args.map((arg) => (arg.length > 60 ? `${arg.slice(0, 57)}...` : arg));
  return parseStream(result.stdout, `helm template ${shown.join(' ')}`);
}

function all<T>(objects: KubeObject[], Model: ModelClass<T>): T[] {
  return objects
    .filter((o) => o.apiVersion === Model.apiVersion && o.kind === Model.kind)
    .map((o) => Reflect.construct(Model, [o]) as T);
}

function one<T>(objects: KubeObject[], Model: ModelClass<T>): T {
  const found = all(objects, Model);
  assert.equal(found.length, 1, `one ${Model.kind}`);
  return found[0] as T;
}

/** Values for a kubernetes.io/tls Secret made outside the chart (e.g. by `sigil admission tls`). */
const existingSecret = (name: string, caBundle: string) => [
  '--set',
  `tls.existingSecret=${name}`,
  '--set',
  `tls.caBundle=${caBundle}`,
];

const kindsOf = (objects: KubeObject[]) => objects.map((o) => o.kind).sort();

const CHART_KINDS = [
  'ClusterRole',
  'ClusterRoleBinding',
  'ConfigMap',
  'Deployment',
  'MutatingWebhookConfiguration',
  'PodDisruptionBudget',
  'Role',
  'RoleBinding',
  'Service',
  'ServiceAccount',
  'ValidatingWebhookConfiguration',
];

/**
 * What the webhook needs to work once applied, checked the same way for the chart and the manifests.
 * Returns the caBundle both webhook configurations carry and the names of the mounted Secret and ConfigMap.
 */
function checkWebhookDeployment(
  objects: KubeObject[],
  namespace: string,
): { caBundle: string; tlsSecret: string; policiesConfigMap: string } {
  const deployment = one(objects, Deployment);
  const service = one(objects, Service);
  const pod = deployment.spec?.template;
  const container = pod?.spec?.containers[0];
  assert.ok(pod?.spec && container);
  assert.ok((deployment.spec?.replicas ?? 1) >= 2, 'two or more replicas');
  assert.equal(deployment.metadata?.namespace, namespace);

  // Pod security: non-root, read-only root filesystem, no privilege escalation, spread over nodes.
  assert.equal(pod.spec.securityContext?.runAsNonRoot, true);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
  const antiAffinity =
    pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0];
  assert.equal(antiAffinity?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
  assert.deepEqual(
    antiAffinity?.podAffinityTerm.labelSelector?.matchLabels,
    deployment.spec?.selector.matchLabels,
  );

  // The Service selects the pods and its targetPort is the port `admission serve --addr` listens on.
  const args = container.args ?? [];
  const port = container.ports?.find((p) => p.name === 'https');
  assert.ok(port);
  assert.ok(args.includes(`--addr=0.0.0.0:${port.containerPort}`), args.join(' '));
  for (const [key, value] of Object.entries(service.spec?.selector ?? {}))
    assert.equal(pod.metadata?.labels?.[key], value, `pod label ${key}`);
  const servicePort = service.spec?.ports?.[0];
  assert.ok(servicePort);
  assert.equal(servicePort.port, 443);
  assert.ok(
    servicePort.targetPort === port.name || servicePort.targetPort === port.containerPort,
    `Service targetPort ${servicePort.targetPort} reaches the container port`,
  );
  for (const [probe, path] of [
    [container.livenessProbe, '/health/liveness'],
    [container.readinessProbe, '/health/readiness'],
  ] as const) {
    assert.equal(probe?.httpGet?.path, path);
    assert.equal(probe?.httpGet?.scheme, 'HTTPS');
    assert.ok(probe?.httpGet?.port === port.name || probe?.httpGet?.port === port.containerPort);
  }

  // The TLS Secret and the policies ConfigMap are mounted where the flags point.
  const mountOf = (volume: string) => container.volumeMounts?.find((m) => m.name === volume)?.mountPath;
  const tlsVolume = pod.spec.volumes?.find((v) => v.secret)?.name ?? '';
  const policiesVolume = pod.spec.volumes?.find((v) => v.configMap)?.name ?? '';
  assert.ok(args.includes(`--tls-dir=${mountOf(tlsVolume)}`), args.join(' '));
  assert.ok(args.includes(`--policies=${mountOf(policiesVolume)}`), args.join(' '));
  const tlsSecret = pod.spec.volumes?.find((v) => v.name === tlsVolume)?.secret?.secretName ?? '';
  const policiesConfigMap = pod.spec.volumes?.find((v) => v.name === policiesVolume)?.configMap?.name ?? '';

  // Both webhooks: the Service above, the path for their failurePolicy, kube-system and their own namespace
  // left alone, pods and pod controllers on CREATE and UPDATE.
  const caBundles = new Set<string>();
  const webhooks = [
    ...all(objects, MutatingWebhookConfiguration).flatMap((c) =>
      (c.webhooks ?? []).map((w) => ({ w, e: 'mutate' })),
    ),
    ...all(objects, ValidatingWebhookConfiguration).flatMap((c) =>
      (c.webhooks ?? []).map((w) => ({ w, e: 'validate' })),
    ),
  ];
  assert.deepEqual(
    webhooks.map(({ e }) => e),
    ['mutate', 'validate'],
  );
  for (const { w, e } of webhooks) {
    assert.equal(w.sideEffects, 'NoneOnDryRun');
    assert.deepEqual(w.admissionReviewVersions, ['v1']);
    assert.ok((w.timeoutSeconds ?? 10) < 10, `${w.name} timeoutSeconds ${w.timeoutSeconds}`);
    assert.ok(w.failurePolicy === 'Fail' || w.failurePolicy === 'Ignore');
    assert.deepEqual(w.clientConfig.service, {
      name: service.metadata?.name,
      namespace,
      port: servicePort.port,
      path: `/${e}/${w.failurePolicy?.toLowerCase()}`,
    });
    const excluded = w.namespaceSelector?.matchExpressions?.find(
      (x) => x.key === 'kubernetes.io/metadata.name' && x.operator === 'NotIn',
    );
    assert.ok(excluded?.values?.includes('kube-system'), `${w.name} excludes kube-system`);
    assert.ok(excluded?.values?.includes(namespace), `${w.name} excludes ${namespace}`);
    const covered = (w.rules ?? []).flatMap((r) =>
      r.operations?.includes('CREATE') && r.operations.includes('UPDATE') ? (r.resources ?? []) : [],
    );
    for (const resource of [
      'pods',
      'deployments',
      'statefulsets',
      'daemonsets',
      'replicasets',
      'jobs',
      'cronjobs',
    ])
      assert.ok(covered.includes(resource), `${w.name} reviews ${resource} on CREATE and UPDATE`);
    caBundles.add(w.clientConfig.caBundle ?? '');
  }
  assert.equal(caBundles.size, 1, 'both webhook configurations trust the same CA');

  // RBAC: PolicyReports cluster-wide, registry credential Secrets in the own namespace, for the pods' account.
  const account = pod.spec.serviceAccountName;
  const clusterRole = one(objects, ClusterRole);
  for (const resource of ['policyreports', 'clusterpolicyreports']) {
    const rule = clusterRole.rules?.find(
      (r) => r.apiGroups?.includes('wgpolicyk8s.io') && r.resources?.includes(resource),
    );
    for (const verb of ['create', 'get', 'list', 'update', 'patch', 'delete'])
      assert.ok(rule?.verbs.includes(verb), `ClusterRole may ${verb} ${resource}`);
  }
  const clusterBinding = one(objects, ClusterRoleBinding);
  assert.equal(clusterBinding.roleRef.name, clusterRole.metadata?.name);
  assert.deepEqual(clusterBinding.subjects, [{ kind: 'ServiceAccount', name: account, namespace }]);
  const role = one(objects, Role);
  assert.equal(role.metadata?.namespace, namespace);
  assert.ok(role.rules?.some((r) => r.resources?.includes('secrets') && r.verbs.includes('get')));
  const binding = one(objects, RoleBinding);
  assert.equal(binding.roleRef.name, role.metadata?.name);
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account, namespace }]);
  assert.equal(one(objects, ServiceAccount).metadata?.name, account);

  const budget = one(objects, PodDisruptionBudget);
  assert.deepEqual(budget.spec?.selector?.matchLabels, deployment.spec?.selector.matchLabels);
  assert.ok(Number(budget.spec?.minAvailable) < (deployment.spec?.replicas ?? 1));
  return { caBundle: [...caBundles][0] ?? '', tlsSecret, policiesConfigMap };
}

const decode = (base64: string | undefined) => Buffer.from(base64 ?? '', 'base64').toString('utf8');

describe('Helm chart deploy/helm/sigil', { skip }, () => {
  it('helm lint --strict passes', () => {
    const result = helm(['lint', '--strict', CHART, '--namespace', NAMESPACE]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('default values: schema-valid objects, 2 replicas, a generated Secret whose CA is the caBundle', () => {
    const objects = render(NAMESPACE);
    assert.deepEqual(kindsOf(objects), [...CHART_KINDS, 'Secret'].sort());
    assert.equal(one(objects, Deployment).spec?.replicas, 2);
    const { caBundle, tlsSecret, policiesConfigMap } = checkWebhookDeployment(objects, NAMESPACE);
    const args = one(objects, Deployment).spec?.template.spec?.containers[0]?.args ?? [];
    assert.ok(args.includes('--tag-resolution-ttl=5'), args.join(' '));
    const secret = one(objects, Secret);
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.equal(secret.metadata?.name, tlsSecret);
    assert.equal(one(objects, ConfigMap).metadata?.name, policiesConfigMap);
    assert.equal(secret.data?.['ca.crt'], caBundle, 'caBundle is the CA in the Secret');
    const ca = new X509Certificate(decode(caBundle));
    const cert = new X509Certificate(decode(secret.data?.['tls.crt']));
    assert.ok(ca.ca);
    assert.ok(cert.verify(ca.publicKey), 'the serving certificate is signed by the caBundle CA');
    assert.equal(cert.checkHost(`sigil.${NAMESPACE}.svc`), `sigil.${NAMESPACE}.svc`);
    assert.ok(cert.checkPrivateKey(createPrivateKey(decode(secret.data?.['tls.key']))));
    // Each run generates anew (no cluster to look the Secret up in); an install keeps it on upgrade.
    assert.notEqual(checkWebhookDeployment(render(NAMESPACE), NAMESPACE).caBundle, caBundle);
  });

  it('tls.existingSecret with tls.caBundle: no Secret rendered, the given CA trusted, that Secret mounted', async () => {
    const tls = await createWebhookTls({ service: 'sigil', namespace: NAMESPACE });
    const objects = render(NAMESPACE, ...existingSecret('webhook-cert', caBundleOf(tls)));
    assert.deepEqual(kindsOf(objects), CHART_KINDS);
    const checked = checkWebhookDeployment(objects, NAMESPACE);
    assert.equal(checked.caBundle, caBundleOf(tls));
    assert.equal(checked.tlsSecret, 'webhook-cert');
  });

  it('tls.existingSecret without a caBundle fails with what to set (helm template cannot read the Secret)', () => {
    const result = helm([
      'template',
      'sigil',
      CHART,
      '--namespace',
      NAMESPACE,
      '--set',
      'tls.existingSecret=x',
    ]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /tls\.existingSecret "x": set tls\.caBundle/);
  });

  it('replicas 3, another namespace, more excluded namespaces, Ignore, Redis URL from a Secret', () => {
    const objects = render(
      'security',
      ...['--set', 'replicaCount=3', '--set', 'webhook.excludedNamespaces={monitoring,kube-system}'],
      ...['--set', 'webhook.failurePolicy=Ignore', '--set', 'redis.existingSecret=redis-auth'],
    );
    checkWebhookDeployment(objects, 'security');
    const deployment = one(objects, Deployment);
    assert.equal(deployment.spec?.replicas, 3);
    for (const config of [
      one(objects, MutatingWebhookConfiguration),
      one(objects, ValidatingWebhookConfiguration),
    ]) {
      const webhook = config.webhooks?.[0];
      assert.equal(webhook?.failurePolicy, 'Ignore');
      assert.deepEqual(webhook?.namespaceSelector?.matchExpressions?.[0]?.values, [
        'monitoring',
        'kube-system',
        'security',
      ]);
    }
    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container?.args?.includes('--redis-url=$(SIGIL_REDIS_URL)'));
    assert.deepEqual(container?.env, [
      { name: 'SIGIL_REDIS_URL', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'url' } } },
    ]);
  });

  it('rbac.keySecrets grants get on each named key Secret only; imageVerifyCache off; tag resolution off; registryPullSecrets', () => {
    const objects = render(
      NAMESPACE,
      ...['--set', 'rbac.keySecrets[0].namespace=ci', '--set', 'rbac.keySecrets[0].name=cosign-keys'],
      ...['--set', 'imageVerifyCache.enabled=false', '--set', 'registryPullSecrets={regcred,mirror}'],
      ...['--set', 'tagResolution.ttlSeconds=0'],
    );
    const role = all(objects, Role).find((r) => r.metadata?.namespace === 'ci');
    assert.deepEqual(role?.rules, [
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['cosign-keys'], verbs: ['get'] },
    ]);
    const binding = all(objects, RoleBinding).find((b) => b.metadata?.namespace === 'ci');
    assert.equal(binding?.roleRef.name, role?.metadata?.name);
    assert.deepEqual(binding?.subjects?.[0], { kind: 'ServiceAccount', name: 'sigil', namespace: NAMESPACE });
    const args = one(objects, Deployment).spec?.template.spec?.containers[0]?.args ?? [];
    assert.ok(args.includes('--no-image-verify-cache'));
    assert.ok(!args.some((a) => a.startsWith('--image-verify-cache-ttl')));
    assert.ok(args.includes('--tag-resolution-ttl=0'), 'every review resolves its tags');
    assert.ok(args.includes('--image-pull-secrets=regcred,mirror'));
  });

  it('policies from files land in the ConfigMap as policies sigil loads; existingConfigMap mounts another', () => {
    const seeds = 'test/fixtures/policies/seeds';
    const objects = render(
      NAMESPACE,
      ...['--set-file', `policies.files.verify\\.yaml=${seeds}/seed003-verify-image-signature.yaml`],
      ...['--set-file', `policies.files.sbom\\.yaml=${seeds}/seed003-require-sbom-attestation.yaml`],
    );
    const data = one(objects, ConfigMap).data ?? {};
    assert.deepEqual(Object.keys(data).sort(), ['sbom.yaml', 'verify.yaml']);
    for (const [file, text] of Object.entries(data)) {
      const documents = parseAllDocuments(text).map((d) => d.toJS());
      assert.ok(documents.length > 0);
      for (const document of documents) assert.ok(readPolicyDocument(document, file).rules.length > 0);
    }

    const existing = render(NAMESPACE, '--set', 'policies.existingConfigMap=team-policies');
    assert.deepEqual(all(existing, ConfigMap), []);
    assert.equal(checkWebhookDeployment(existing, NAMESPACE).policiesConfigMap, 'team-policies');
  });

  it('values.schema.json rejects a bad failurePolicy, a timeout over 30 s and misspelt keys', () => {
    for (const [set, message] of [
      [
        'webhook.failurePolicy=Never',
        /webhook\.failurePolicy must be one of the following: "Fail", "Ignore"/,
      ],
      ['webhook.timeoutSeconds=31', /webhook\.timeoutSeconds: Must be less than or equal to 30/],
      ['replicas=3', /Additional property replicas is not allowed/],
    ] as const) {
      const result = helm(['template', 'sigil', CHART, '--namespace', NAMESPACE, '--set', set]);
      assert.notEqual(result.status, 0, set);
      assert.match(result.stderr, message, set);
    }
  });
});

describe('plain manifests deploy/manifests/sigil.yaml', () => {
  let caBundle: string;
  let objects: KubeObject[];

  before(async () => {
    caBundle = caBundleOf(await createWebhookTls({ service: 'sigil', namespace: NAMESPACE }));
    const text = readFileSync(MANIFESTS, 'utf8');
    assert.equal(
      text.match(/caBundle: \$\{CA_BUNDLE\}/g)?.length,
      2,
      'one caBundle placeholder per webhook configuration',
    );
    objects = parseStream(text.replaceAll(CA_BUNDLE_PLACEHOLDER, caBundle), MANIFESTS);
  });

  it('are schema-valid once the caBundle is filled in, for the Secret `sigil admission tls` makes', () => {
    assert.deepEqual(kindsOf(objects), [...CHART_KINDS, 'Namespace'].sort());
    assert.equal(one(objects, Namespace).metadata?.name, NAMESPACE);
    const checked = checkWebhookDeployment(objects, NAMESPACE);
    assert.equal(checked.caBundle, caBundle);
    // The name `sigil admission tls --service sigil --output yaml` gives its Secret.
    assert.equal(checked.tlsSecret, 'sigil-tls');
  });

  it('are the chart rendered with that existing Secret, but for the labels Helm adds', { skip }, () => {
    for (const object of render(NAMESPACE, ...existingSecret('sigil-tls', caBundle))) {
      delete object.metadata.labels?.['helm.sh/chart'];
      delete object.metadata.labels?.['app.kubernetes.io/managed-by'];
      const twin = objects.find((o) => o.kind === object.kind && o.metadata.name === object.metadata.name);
      assert.deepEqual(twin, object, `${object.kind} ${object.metadata.name} differs from the chart's`);
    }
  });
});
