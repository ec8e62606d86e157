import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import {
  caBundleOf,
  cachedNamespaceLabels,
  createAdmissionMetrics,
  createAdmissionServer,
  createWebhookTls,
  DEFAULT_DECISION_CAPACITY,
  DEFAULT_WEBHOOK_CERT_DAYS,
  type DecisionCache,
  DecisionLog,
  type FailurePolicy,
  MemoryDecisionCache,
  PolicyWatcher,
  policyEvaluator,
  RedisDecisionCache,
  ReportWriter,
  readTlsDirectory,
  tlsSecretManifest,
  type WebhookTls,
} from '../../admission/index.js';
import { messageOf, parseJson, readUserFile, SigilError, writeFileAtomic } from '../../core/index.js';
import {
  DEFAULT_TAG_RESOLUTION_TTL_SECONDS,
  ImageVerifyCache,
  type PolicySet,
  TagResolutionCache,
} from '../../policy/index.js';
import { parseAddress } from '../address.js';
import { parseNonNegativeInt, parsePositiveInt } from '../options.js';
import { info, printResult, warn } from '../output.js';
import {
  addPolicyContextOptions,
  kubeClient,
  loadPoliciesWarning,
  type PolicyContextOptions,
  reportFor,
  saveReport,
  verifierContext,
} from '../policy-context.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';

interface ServeOptions extends PolicyContextOptions {
  policies: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsDir?: string;
  addr: string;
  redisUrl?: string;
  cacheTtl: number;
  imageVerifyCache: boolean;
  imageVerifyCacheTtl: number;
  imageVerifyCacheMaxSize: number;
  tagResolutionTtl: number;
  failurePolicy: FailurePolicy;
  reportDir?: string;
  kubeconfig?: string;
  imagePullSecrets?: string[];
}

interface TlsOptions {
  service: string;
  namespace: string;
  host?: string[];
  secretName?: string;
  out: string;
  days: number;
  output: 'text' | 'json' | 'yaml';
}

interface ReviewOptions extends PolicyContextOptions {
  policies: string;
  request: string;
  endpoint: 'mutate' | 'validate';
  reportDir?: string;
}

export function registerAdmissionCommands(program: Command): void {
  const admission = program
    .command('admission')
    .description('Kubernetes admission webhook enforcing Kyverno verifyImages policies');

  const serve = admission
    .command('serve')
    .description('Serve the validating and mutating webhook (AdmissionReview v1 over HTTPS)')
    .requiredOption('--policies <dir>', 'directory of Kyverno ClusterPolicy/Policy YAML (reloaded on change)')
    .option('--tls-cert <file>', 'serving certificate (PEM)')
    .option('--tls-key <file>', 'serving key (PEM)')
    .option('--tls-dir <dir>', 'a mounted kubernetes.io/tls Secret (tls.crt, tls.key)')
    .option('--addr <host:port>', 'address to listen on', '0.0.0.0:9443')
    .option('--redis-url <url>', 'share the decision cache between replicas through Redis')
    .option('--cache-ttl <seconds>', 'how long a decision is reused', parsePositiveInt, 60)
    .option('--no-image-verify-cache', 'verify every image again, even under verifyImages useCache')
    .option(
      '--image-verify-cache-ttl <seconds>',
      "how long a passing image verification is reused (Kyverno's imageVerifyCacheTTLDuration)",
      parsePositiveInt,
      3600,
    )
    .option(
      '--image-verify-cache-max-size <entries>',
      'passing image verifications kept (least recently used go first)',
      parsePositiveInt,
      1000,
    )
    .option(
      '--tag-resolution-ttl <seconds>',
      "how long a tag's digest is reused across reviews (0: every review resolves its tags)",
      parseNonNegativeInt,
      DEFAULT_TAG_RESOLUTION_TTL_SECONDS,
    )
    .option(
      '--failure-policy <Fail|Ignore>',
      'for /validate and /mutate: deny or admit when verification cannot run',
      'Fail',
    )
    .option('--report-dir <dir>', 'write a PolicyReport YAML file per reviewed resource')
    .option(
      '--image-pull-secrets <names>',
      "pull Secrets (controller's namespace) for every registry, before the docker config (Kyverno's --imagePullSecrets)",
      (value: string) =>
        value
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
    )
    .option(
      '--kubeconfig <file>',
      'Kubernetes API to use (default: $KUBECONFIG, else the in-cluster service account)',
    )
    .addHelpText(
      'after',
      `
Endpoints: POST /validate, /mutate (and Kyverno's /validate/fail, /validate/ignore, /mutate/fail,
/mutate/ignore), GET /health/liveness, /health/readiness, /metrics; for the web console (sigil console
serve --admission-url), read-only: GET /api/v1/console/admissions (the newest ${DEFAULT_DECISION_CAPACITY} decisions,
?namespace= &policy= &result=allowed|denied), /api/v1/console/admissions/<uid>, /api/v1/console/policyreports.

With a Kubernetes API (in a pod, or --kubeconfig / KUBECONFIG with a token, client-certificate-data or
certificate-authority-data; exec plugins and auth providers are not supported):
  - a PolicyReport (ClusterPolicyReport for cluster-scoped resources) per reviewed resource is applied in
    the background (server-side apply, field manager sigil), named by the resource's UID as Kyverno does;
    resources without a UID yet (mutating review of a create) are reported by their validating review;
  - verifyImages imageRegistryCredentials.secrets are read from the controller's namespace
    (kubernetes.io/dockerconfigjson). Of the providers only "default" (the controller's docker config)
    is supported; policies naming amazon, azure, google or github are refused when they load;
  - match/exclude namespaceSelector is decided on the namespace's labels (read and kept 30 s). Without
    an API, namespaceSelector cannot be decided and is ignored.

Image verification cache (Kyverno's, for verifyImages with useCache, the default): a passing
verification of an image digest under a verifyImages entry is reused for --image-verify-cache-ttl, and
concurrent reviews of one image share one verification. The key is the digest, so a moved tag is
verified again; a policy reload starts afresh. A revoked signature can pass until the TTL ends.

Tag resolution: a review resolves each distinct tag once (whatever containers, rules and policies name it),
and reuses a resolution made at most --tag-resolution-ttl seconds earlier (the lookup's start); a tag
moved in the registry is seen within that bound. The digest is verified on every review as above.

Examples:
  sigil admission serve --policies ./policies --tls-cert tls.crt --tls-key tls.key
  sigil admission serve --policies /etc/sigil/policies --tls-dir /etc/sigil/tls --redis-url redis://redis:6379
  sigil admission serve --policies ./policies --tls-dir ./tls --kubeconfig ~/.kube/kind-config`,
    );
  addPolicyContextOptions(serve).action(
    action(async (opts: ServeOptions) => {
      const tls = opts.tlsDir
        ? readTlsDirectory(opts.tlsDir)
        : {
            cert: readUserFile(opts.tlsCert ?? '', 'TLS certificate'),
            key: readUserFile(opts.tlsKey ?? '', 'TLS key'),
          };
      const watcher = await PolicyWatcher.start<PolicySet>({
        directory: opts.policies,
        load: async () => loadPoliciesWarning([opts.policies]),
        onReload: (r) =>
          r.ok
            ? info(`policies reloaded (generation ${r.generation})`)
            : warn(`policy reload failed: ${r.error}`),
      });
      const cache: DecisionCache = opts.redisUrl
        ? await RedisDecisionCache.connect(opts.redisUrl)
        : new MemoryDecisionCache();
      const kube = kubeClient(opts.kubeconfig);
      const metrics = createAdmissionMetrics();
      if (opts.imagePullSecrets?.length && !kube) {
        throw new SigilError(
          'BAD_INPUT',
          '--image-pull-secrets needs the Kubernetes API to read them',
          'run in a cluster, or pass --kubeconfig',
        );
      }
      const context = {
        ...verifierContext(opts, kube, opts.imagePullSecrets),
        ...(opts.imageVerifyCache
          ? {
              imageVerifyCache: new ImageVerifyCache(
                { ttlSeconds: opts.imageVerifyCacheTtl, maxEntries: opts.imageVerifyCacheMaxSize },
                (result) => metrics.imageVerifyCacheLookups.inc({ result }),
              ),
            }
          : {}),
        ...(opts.tagResolutionTtl > 0
          ? {
              tagResolutionCache: new TagResolutionCache({ ttlSeconds: opts.tagResolutionTtl }, (result) =>
                metrics.tagResolutionLookups.inc({ result }),
              ),
            }
          : {}),
      };
      const reports = kube
        ? new ReportWriter({
            write: (report) => kube.apply(report),
            onError: (report, err) =>
              warn(`could not write ${report.kind} ${report.metadata.name}: ${messageOf(err)}`),
          })
        : undefined;
      if (kube) info(`Kubernetes API at ${kube.connection.server} (${kube.connection.source})`);
      const decisionLog = new DecisionLog();
      const server = createAdmissionServer({
        tls,
        decisionLog,
        evaluate: policyEvaluator(
          () => watcher.state.policies,
          context,
          (request, results) => {
            // The webhooks declare sideEffects NoneOnDryRun, and the API server sends dry runs (kubectl
            // --dry-run=server) only under that promise: a dry run leaves no report behind.
            if (request.dryRun) return;
            const report = reportFor(request, results);
            decisionLog.report(report);
            // Kyverno names reports by the resource's UID: without one there is nothing to name it by yet.
            if (reports && report.scope) reports.submit(report);
            if (!opts.reportDir) return;
            saveReport(opts.reportDir, report).catch((err: Error) =>
              warn(`could not write the PolicyReport: ${err.message}`),
            );
          },
          kube ? cachedNamespaceLabels(kube) : undefined,
        ),
        policyState: () => watcher.state,
        cache,
        cacheTtlSeconds: opts.cacheTtl,
        metrics,
        failurePolicy: opts.failurePolicy,
        logger: true,
      });
      const { host, port } = parseAddress(opts.addr);
      await server.app.listen({ host, port });
      info(
        `admission webhook on https://${opts.addr} with ${watcher.state.policies.policies.length} policies`,
      );
      closeOnSignal(async () => {
        watcher.close();
        await server.app.close();
        await reports?.close();
      });
    }),
  );

  registerTlsCommand(admission);

  const review = admission
    .command('review')
    .description('Decide one AdmissionReview offline and print the AdmissionReview response')
    .requiredOption('--policies <path>', 'policy file or directory (Kyverno policies, ClusterImagePolicies)')
    .requiredOption('--request <file>', 'an AdmissionReview v1 request (JSON)')
    .option('--endpoint <mutate|validate>', 'which webhook answers', 'mutate')
    .option('--report-dir <dir>', 'also write the PolicyReport YAML there')
    .addHelpText(
      'after',
      '\nExample:\n  sigil admission review --policies ./policies --request review.json | jq .response.allowed',
    );
  addPolicyContextOptions(review).action(
    action(async (opts: ReviewOptions) => {
      const policies = loadPoliciesWarning([opts.policies]);
      let results: Parameters<typeof reportFor>[1] = [];
      let reviewed: Parameters<typeof reportFor>[0] | undefined;
      const server = createAdmissionServer({
        tls: { cert: '', key: '' },
        evaluate: policyEvaluator(
          () => policies,
          verifierContext(opts),
          (request, r) => {
            reviewed = request;
            results = r;
          },
        ),
        policyState: () => ({ generation: 1 }),
      });
      const body = parseJson(readUserFile(opts.request, 'AdmissionReview'), opts.request);
      const response = await server.handlers.Fail.review(body, opts.endpoint);
      printResult(JSON.stringify(response, null, 2));
      if (opts.reportDir && reviewed)
        info(`wrote ${await saveReport(opts.reportDir, reportFor(reviewed, results))}`);
    }),
  );
}

function registerTlsCommand(admission: Command): void {
  admission
    .command('tls')
    .description("Make a CA and the webhook Service's serving certificate (ca.crt, tls.crt, tls.key)")
    .requiredOption('--service <name>', 'the webhook Service the API server calls')
    .requiredOption('--namespace <ns>', 'the namespace of the Service')
    .option(
      '--host <name-or-ip...>',
      'more names or IP addresses to certify, for a webhook reached by clientConfig.url (outside the cluster)',
    )
    .option('--secret-name <name>', 'name of the Secret printed by --output yaml (default: <service>-tls)')
    .option('--out <dir>', 'directory to write ca.crt, tls.crt and tls.key to', '.')
    .option(
      '--days <n>',
      'validity of the CA and the certificate',
      parsePositiveInt,
      DEFAULT_WEBHOOK_CERT_DAYS,
    )
    .addOption(
      new Option('--output <format>', 'text (the caBundle), json, or yaml (a kubernetes.io/tls Secret)')
        .choices(['text', 'json', 'yaml'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
The certificate names <service>.<namespace>.svc (what the API server dials), .svc.cluster.local,
<service>.<namespace> and <service>, and each --host. The caBundle is ca.crt in base64: put it in the webhook
configurations' clientConfig.caBundle. Nothing renews the certificates; run again before they expire.

Examples:
  sigil admission tls --service sigil --namespace sigil-system --out ./tls
  sigil admission tls --service sigil --namespace sigil-system --output yaml | kubectl apply -f -
  CA_BUNDLE=$(sigil admission tls --service sigil --namespace sigil-system --out ./tls)
  sigil admission tls --service sigil --namespace sigil-system --host 127.0.0.1 --out ./tls  # url: https://127.0.0.1:9443/validate`,
    )
    .action(
      action(async (opts: TlsOptions) => {
        const tls = await createWebhookTls({
          service: opts.service,
          namespace: opts.namespace,
          days: opts.days,
          hosts: opts.host ?? [],
        });
        const files = await writeTlsFiles(opts.out, tls);
        info(
          `wrote ${Object.values(files).join(', ')} for ${[...tls.dnsNames, ...tls.ipAddresses].join(', ')}`,
        );
        const caBundle = caBundleOf(tls);
        if (opts.output === 'json') {
          const result = {
            files,
            dnsNames: tls.dnsNames,
            ipAddresses: tls.ipAddresses,
            notAfter: tls.notAfter.toISOString(),
            caBundle,
          };
          printResult(JSON.stringify(result, null, 2));
        } else if (opts.output === 'yaml') {
          const secret = tlsSecretManifest(opts.secretName ?? `${opts.service}-tls`, opts.namespace, tls);
          printResult(`# caBundle for the webhook configurations:\n# ${caBundle}\n${stringify(secret)}`);
        } else {
          printResult(caBundle);
        }
      }),
    );
}

/** Each file atomically (an interrupted run never leaves a torn PEM), the key readable by its owner only. */
async function writeTlsFiles(
  dir: string,
  tls: WebhookTls,
): Promise<Record<'ca.crt' | 'tls.crt' | 'tls.key', string>> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new SigilError('IO_ERROR', `cannot create --out directory ${dir}: ${(err as Error).message}`);
  }
  const files = {
    'ca.crt': join(dir, 'ca.crt'),
    'tls.crt': join(dir, 'tls.crt'),
    'tls.key': join(dir, 'tls.key'),
  };
  await writeFileAtomic(files['ca.crt'], tls['ca.crt']);
  await writeFileAtomic(files['tls.crt'], tls['tls.crt']);
  await writeFileAtomic(files['tls.key'], tls['tls.key'], { mode: 0o600 });
  return files;
}
