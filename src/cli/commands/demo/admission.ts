import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SigilError } from '../../../core/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../../oci/index.js';
import { info } from '../../output.js';
import type { RunningStackDemo } from './keyless.js';
import { sigilOutput, step } from './steps.js';

/**
 * Admission, as the API server asks it: the guides' policies (a key policy and a keyless one) decide a pod
 * whose images are signed (admitted, tags pinned to digests) and a pod with an unsigned image (denied).
 */
export async function admissionDemo(
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
    clusterPolicy(
      'verify-image-signature',
      'verify-cosign-signature',
      `"${registry}/demo/*"`,
      `- count: 1
              entries:
                - keys:
                    publicKeys: |-
                      ${pem}`,
    ),
  );
  writeFileSync(
    join(policies, 'verify-keyless-signature.yaml'),
    clusterPolicy(
      'verify-keyless-signature',
      'verify-github-actions-signature',
      `"${keylessRegistry}/demo-org/*"`,
      `- entries:
                - keyless:
                    subject: "https://github.com/demo-org/*"
                    issuer: "${images.keyless.issuer}"`,
    ),
  );
  info(`    wrote ${policies}/verify-image-signature.yaml and verify-keyless-signature.yaml`);
  const review = (uid: string, containers: string[]) => writeReview(dir, uid, containers);
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

/** Writes the AdmissionReview of `admissionReview` into `dir` and returns its path. */
export function writeReview(dir: string, uid: string, images: string[]): string {
  const file = join(dir, `${uid}.json`);
  writeFileSync(file, JSON.stringify(admissionReview(uid, images)));
  return file;
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

/** A Kyverno ClusterPolicy enforcing one verifyImages rule on pods, as the guides write them. */
function clusterPolicy(name: string, rule: string, imageReference: string, attestors: string): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: ${name}
  annotations:
    policies.kyverno.io/severity: high
spec:
  validationFailureAction: Enforce
  rules:
    - name: ${rule}
      match:
        any:
          - resources:
              kinds:
                - Pod
      verifyImages:
        - imageReferences:
            - ${imageReference}
          attestors:
            ${attestors}
`;
}
