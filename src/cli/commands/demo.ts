/**
 * `sigil demo` (npm run demo): the main job end to end on the embedded defaults, as a user would type it.
 * Each step prints the command it runs; the sigil commands run as child processes of this very binary.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { decodeJwt } from 'jose';
import { type Digest, SigilError } from '../../core/index.js';
import {
  artifactTag,
  buildSignatureImage,
  OCI_MANIFEST_MEDIA_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureLayers,
} from '../../formats/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../../oci/index.js';
import { startTlog } from '../../tlog/index.js';
import { info } from '../output.js';
import { action } from '../run.js';

const SIGIL = process.argv[1] as string;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the main job end to end on a throw-away embedded registry and key pair')
    .option('--keep', 'keep the temporary directory (keys, registry data) and print its path')
    .addHelpText('after', '\nExample:\n  npm run demo     # the same as: sigil demo')
    .action(action(runDemo));
}

async function runDemo(opts: { keep?: boolean }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-demo-'));
  const registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
  const tlog = await startTlog({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'tlog'), intervalMs: 5 });
  try {
    const image = `${registry.address}/demo/hello:v1`;
    const client = new RegistryClient({});
    step(
      1,
      `Start the embedded OCI registry (${registry.url}) and transparency log (${tlog.url}, log ID ${tlog.log.logId})`,
    );
    step(2, `Build a tiny OCI image without Docker and push it as ${image}`);
    const digest = await pushTestImage(client, parseReference(image), {
      files: { 'hello.txt': 'hello from sigil\n' },
    });
    info(`    pushed ${digest}`);

    // The log's public key is trusted explicitly, as cosign users do for a private Rekor.
    const env = {
      ...process.env,
      COSIGN_PASSWORD: 'demo-password',
      SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'tlog', 'log-key.pem.pub'),
    };
    const key = join(dir, 'cosign');
    step(3, 'Generate a key pair (cosign format, encrypted with COSIGN_PASSWORD)');
    await sigil(['generate-key-pair', '--output-key-prefix', key], env, 0);

    step(4, 'Sign the image: the digest the tag points to is signed, recorded in the log, pushed next to it');
    await sigil(['sign', '--key', `${key}.key`, '--rekor-url', tlog.url, '-a', 'env=demo', image], env, 0);

    step(
      5,
      "Verify: signature, claims, log promise (SET), entry body and inclusion proof; cosign's JSON, exit 0",
    );
    await sigil(['verify', '--key', `${key}.pub`, '--rekor-url', tlog.url, '-a', 'env=demo', image], env, 0);

    step(6, 'Tamper with the signed payload in the registry: verification must fail');
    await tamperPayload(client, image, digest);
    await sigil(['verify', '--key', `${key}.pub`, '--rekor-url', tlog.url, image], env, 1);

    step(7, 'Push a different, unsigned image under the same tag: verification must fail');
    await pushTestImage(client, parseReference(image), { files: { 'hello.txt': 'not what was signed\n' } });
    await sigil(['verify', '--key', `${key}.pub`, '--rekor-url', tlog.url, image], env, 1);

    step(8, 'Verify the original digest with a key that did not sign it: verification must fail');
    await sigil(['generate-key-pair', '--output-key-prefix', join(dir, 'other')], env, 0);
    await sigil(
      [
        'verify',
        '--key',
        join(dir, 'other.pub'),
        '--rekor-url',
        tlog.url,
        `${registry.address}/demo/hello@${digest}`,
      ],
      env,
      1,
    );

    step(9, 'Monitor the log: its signed tree head verifies and extends the last one seen');
    await sigil(
      ['tlog', 'verify', '--rekor-url', tlog.url, '--state-file', join(dir, 'monitor.json')],
      env,
      0,
    );

    const stack = await keylessDemo(dir, env);
    try {
      const attested = await attestationDemo(dir, env, {
        registry: registry.address,
        key,
        tlogUrl: tlog.url,
      });
      await admissionDemo(dir, env, { key, attested, keyless: stack });
    } finally {
      stack.stop();
    }

    info(
      '\nDemo complete: signed (with a key and keyless), attested, logged, verified, admitted or denied by policy, and every tampering was caught.',
    );
  } finally {
    await tlog.close();
    await registry.close();
    if (opts.keep) info(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Keyless, as a CI job does it: the private Sigstore (`sigil serve`) runs in the background, a token shaped
 * like a GitHub Actions one buys a 10-minute certificate, and verification names the identity it expects.
 */
interface RunningStackDemo {
  image: string;
  issuer: string;
  trustedRoot: string;
  stop(): void;
}

async function keylessDemo(dir: string, env: NodeJS.ProcessEnv): Promise<RunningStackDemo> {
  step(10, 'Start the private Sigstore in the background: sigil serve (CA, log, dev OIDC issuer, registry)');
  const dataDir = join(dir, 'stack');
  const serve = spawn(
    process.execPath,
    [
      SIGIL,
      'serve',
      '--data-dir',
      dataDir,
      ...['registry', 'tlog', 'ca', 'oidc', 'tsa'].flatMap((s) => [`--${s}-port`, '0']),
      '--output',
      'json',
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const urls = JSON.parse(await firstLine(serve)) as {
      registry: string;
      oidc: string;
      issuers: Record<string, string>;
      trustedRoot: string;
      signingConfig: string;
    };
    info(`$ sigil serve --data-dir ${dataDir}\n    ${JSON.stringify(urls)}`);
    const registry = new URL(urls.registry).host;
    const reference = parseReference(`${registry}/demo-org/hello:v1`);
    const digest = await pushTestImage(new RegistryClient({}), reference, {
      files: { 'hello.txt': 'keyless hello\n' },
    });
    const image = `${registry}/demo-org/hello@${digest}`;
    info(`    pushed ${image}`);

    step(
      11,
      'Get an OIDC token shaped like a GitHub Actions one (repository demo-org/hello) from the dev issuer',
    );
    const token = (
      await sigilOutput(
        [
          'oidc',
          'token',
          '--issuer-url',
          urls.oidc,
          '--kind',
          'github-actions',
          '--repository',
          'demo-org/hello',
        ],
        env,
      )
    ).trim();
    info(`    token for ${JSON.stringify(decodeJwt(token).sub)}, valid 10 minutes`);

    step(
      12,
      'Sign keyless (token in SIGSTORE_ID_TOKEN): ephemeral key -> CA certificate with SCT -> log -> registry',
    );
    await sigil(
      ['sign', '--yes', '--signing-config', urls.signingConfig, image],
      { ...env, SIGSTORE_ID_TOKEN: token },
      0,
    );

    const issuer = urls.issuers['github-actions'] ?? '';
    step(13, 'Verify keyless: trusted CA chain, SCT, log promise, and the identity the policy names');
    const verify = ['verify', '--trusted-root', urls.trustedRoot, '--certificate-oidc-issuer', issuer];
    await sigil([...verify, '--certificate-identity-regexp', '^https://github.com/demo-org/', image], env, 0);

    step(14, 'Verify with the identity of another organisation: verification must fail');
    await sigil(
      [...verify, '--certificate-identity-regexp', '^https://github.com/demo-org-evil/', image],
      env,
      1,
    );
    return { image, issuer, trustedRoot: urls.trustedRoot, stop: () => serve.kill('SIGTERM') };
  } catch (err) {
    serve.kill('SIGTERM');
    throw err;
  }
}

/**
 * Attestations, as a pipeline adds them after signing: an SBOM generated by `sigil sbom`, a vulnerability
 * scan, both attested with the key and logged; verified with conditions on the scan; shown by `sigil tree`.
 */
async function attestationDemo(
  dir: string,
  env: NodeJS.ProcessEnv,
  where: { registry: string; key: string; tlogUrl: string },
): Promise<string> {
  const reference = parseReference(`${where.registry}/demo/app:v2`);
  const digest = await pushTestImage(new RegistryClient({}), reference, { files: { 'app.txt': 'app v2\n' } });
  const image = `${where.registry}/demo/app@${digest}`;
  step(15, `Sign a second image with the key (${image})`);
  await sigil(['sign', '--key', `${where.key}.key`, '--rekor-url', where.tlogUrl, image], env, 0);

  step(16, "Generate the image's SBOM (SPDX 2.3) from its layers");
  const sbom = join(dir, 'sbom.spdx.json');
  await sigil(['sbom', image, '-o', 'spdx-json', '--output-file', sbom], env, 0);

  step(17, 'Attest the SBOM and a vulnerability scan (in-toto statements in DSSE envelopes, logged)');
  await sigil(
    [
      'attest',
      '--key',
      `${where.key}.key`,
      '--rekor-url',
      where.tlogUrl,
      '--type',
      'spdxjson',
      '--predicate',
      sbom,
      image,
    ],
    env,
    0,
  );
  const scan = join(dir, 'scan.json');
  writeFileSync(
    scan,
    JSON.stringify({
      invocation: { parameters: null, uri: 'demo', event_id: '', 'builder.id': '' },
      scanner: {
        uri: 'demo-scanner',
        version: '1',
        db: { uri: '', version: '' },
        result: { summary: { criticalCount: 0, highCount: 2 } },
      },
      metadata: { scanStartedOn: '2026-11-25T00:00:00Z', scanFinishedOn: '2026-11-25T00:01:00Z' },
    }),
  );
  await sigil(
    [
      'attest',
      '--key',
      `${where.key}.key`,
      '--rekor-url',
      where.tlogUrl,
      '--type',
      'vuln',
      '--predicate',
      scan,
      image,
    ],
    env,
    0,
  );

  step(
    18,
    'Verify the scan attestation with a condition (no critical vulnerabilities), then a stricter one that fails',
  );
  const noCritical = join(dir, 'no-critical.yaml');
  writeFileSync(
    noCritical,
    'all:\n  - key: "{{ scanner.result.summary.criticalCount }}"\n    operator: Equals\n    value: 0\n',
  );
  const noHigh = join(dir, 'no-high.yaml');
  writeFileSync(
    noHigh,
    'all:\n  - key: "{{ scanner.result.summary.highCount }}"\n    operator: LessThan\n    value: 1\n    message: no high vulnerabilities\n',
  );
  const verify = [
    'verify-attestation',
    '--key',
    `${where.key}.pub`,
    '--rekor-url',
    where.tlogUrl,
    '--type',
    'vuln',
    '-o',
    'text',
  ];
  await sigil([...verify, '--policy', noCritical, image], env, 0);
  await sigil([...verify, '--policy', noHigh, image], env, 1);

  step(19, "Show the image's supply-chain artifacts");
  await sigil(['tree', image], env, 0);
  return `${where.registry}/demo/app:v2`;
}

/**
 * Admission, as the API server asks it: the guides' policies (a key policy and a keyless one) decide a pod
 * whose images are signed (admitted, tags pinned to digests) and a pod with an unsigned image (denied).
 */
async function admissionDemo(
  dir: string,
  env: NodeJS.ProcessEnv,
  images: { key: string; attested: string; keyless: RunningStackDemo },
): Promise<void> {
  step(20, 'Write the policies: Kyverno ClusterPolicies with verifyImages, key-based and keyless');
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  const registry = images.attested.split('/')[0] as string;
  const keylessRegistry = images.keyless.image.split('/')[0] as string;
  const pem = readFileSync(`${images.key}.pub`, 'utf8').trim().split('\n').join('\n                      ');
  writeFileSync(
    join(policies, 'verify-image-signature.yaml'),
    `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-image-signature
  annotations:
    policies.kyverno.io/severity: high
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-cosign-signature
      match:
        any:
          - resources:
              kinds:
                - Pod
      verifyImages:
        - imageReferences:
            - "${registry}/demo/*"
          attestors:
            - count: 1
              entries:
                - keys:
                    publicKeys: |-
                      ${pem}
`,
  );
  writeFileSync(
    join(policies, 'verify-keyless-signature.yaml'),
    `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-keyless-signature
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-github-actions-signature
      match:
        any:
          - resources:
              kinds:
                - Pod
      verifyImages:
        - imageReferences:
            - "${keylessRegistry}/demo-org/*"
          attestors:
            - entries:
                - keyless:
                    subject: "https://github.com/demo-org/*"
                    issuer: "${images.keyless.issuer}"
`,
  );
  info(`    wrote ${policies}/verify-image-signature.yaml and verify-keyless-signature.yaml`);
  const review = (uid: string, containers: string[]) => {
    const file = join(dir, `${uid}.json`);
    writeFileSync(file, JSON.stringify(admissionReview(uid, containers)));
    return file;
  };
  const decide = [
    'admission',
    'review',
    '--policies',
    policies,
    '--trusted-root',
    images.keyless.trustedRoot,
    '--report-dir',
    join(dir, 'reports'),
  ];

  step(
    21,
    'AdmissionReview for a pod with a key-signed and a keyless-signed image: admitted, tags pinned to digests',
  );
  const admitted = JSON.parse(
    await sigilOutput(
      [...decide, '--request', review('signed-pod', [images.attested, images.keyless.image])],
      env,
    ),
  );
  info(`    allowed: ${admitted.response.allowed}`);
  for (const op of JSON.parse(Buffer.from(admitted.response.patch, 'base64').toString('utf8'))) {
    info(
      `    patch: ${op.op} ${op.path} = ${typeof op.value === 'string' ? op.value : JSON.stringify(op.value)}`,
    );
  }
  if (admitted.response.allowed !== true)
    throw new SigilError('BAD_INPUT', 'demo: the signed pod was not admitted');

  step(22, 'AdmissionReview for a pod with an unsigned image: denied with the reason');
  const unsigned = `${registry}/demo/unsigned:v1`;
  await pushTestImage(new RegistryClient({}), parseReference(unsigned), { files: { 'x.txt': 'unsigned\n' } });
  const denied = JSON.parse(
    await sigilOutput([...decide, '--request', review('unsigned-pod', [unsigned])], env),
  );
  info(
    `    allowed: ${denied.response.allowed}\n    ${String(denied.response.status?.message).split('\n').join('\n    ')}`,
  );
  if (denied.response.allowed !== false)
    throw new SigilError('BAD_INPUT', 'demo: the unsigned pod was admitted');

  step(23, 'The PolicyReport the webhook wrote for the denied pod');
  for (const file of readdirSync(join(dir, 'reports'))) {
    const report = readFileSync(join(dir, 'reports', file), 'utf8');
    if (report.includes('result: fail'))
      info(
        report
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      );
  }
}

/** An AdmissionReview v1 for a CREATE of a pod in `default`, as the API server sends it. */
function admissionReview(uid: string, images: string[]): Record<string, unknown> {
  const gvk = { group: '', version: 'v1', kind: 'Pod' };
  const gvr = { group: '', version: 'v1', resource: 'pods' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: uid,
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'demo', groups: ['system:authenticated'] },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: uid, namespace: 'default', uid: `${uid}-uid` },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
      },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

function step(n: number, title: string): void {
  info(`\n== ${n}. ${title}`);
}

/**
 * Runs this sigil binary as the user would, echoing the command, and checks the exit code the step expects.
 * Asynchronous because the registry is served from this process: a blocking spawn would starve it.
 */
async function sigil(args: string[], env: NodeJS.ProcessEnv, expectedStatus: number): Promise<void> {
  info(`$ sigil ${args.join(' ')}`);
  const child = spawn(process.execPath, [SIGIL, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  info(`  (exit code ${status})`);
  if (status !== expectedStatus) {
    throw new SigilError(
      'BAD_INPUT',
      `demo step failed: "sigil ${args[0]}" exited ${status}, expected ${expectedStatus}`,
    );
  }
}

/** Runs sigil and returns what it printed on stdout (stderr passes through). */
async function sigilOutput(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  info(`$ sigil ${args.join(' ')}`);
  const child = spawn(process.execPath, [SIGIL, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (status !== 0)
    throw new SigilError('BAD_INPUT', `demo step failed: "sigil ${args[0]}" exited ${status}`);
  return out;
}

/** The first line a background child prints on stdout (`sigil serve --output json` prints its URLs). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once('exit', (code) => reject(new SigilError('BAD_INPUT', `demo: sigil serve exited ${code}`)));
  });
}

/** Replaces the signed payload with an edited copy, keeping the original signature annotation. */
async function tamperPayload(client: RegistryClient, image: string, digest: Digest): Promise<void> {
  const ref = parseReference(image);
  const tag = artifactTag(digest, 'sig');
  const { manifest } = await client.getManifest(ref, tag);
  const [layer] = signatureLayers(manifest, SIMPLE_SIGNING_MEDIA_TYPE, tag);
  if (!layer) throw new SigilError('BAD_MANIFEST', 'demo: the signature manifest has no layer');
  const payload = (await client.getBlob(ref, layer.digest))
    .toString()
    .replace('"optional":{', '"optional":{"tampered":"yes",');
  const pushed = await client.pushBlob(ref, Buffer.from(payload));
  const forged = buildSignatureImage([{ ...layer, digest: pushed.digest, size: pushed.size }]);
  await client.pushBlob(ref, forged.config);
  await client.putManifest(ref, tag, forged.manifest, OCI_MANIFEST_MEDIA_TYPE);
  info(`    rewrote ${tag}: payload now ${pushed.digest}, signature unchanged`);
}
