import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SigilError } from '../../../core/index.js';
import { localKeyPaths, notationConfigDir } from '../../../notation/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../../oci/index.js';
import { info } from '../../output.js';
import { writeReview } from './admission.js';
import { sigil, sigilOutput, step } from './steps.js';

/**
 * Notation beside cosign: two images signed with `sigil notation sign` (one by the wabbit-networks.io test
 * certificate, one by another organisation's), and the Kyverno chapter's `verify-notation-signature`
 * policy (type: Notary) with the real certificate in place of its placeholder: the first pod is admitted
 * (tag pinned to its digest), the second denied.
 */
export async function notationDemo(dir: string, env: NodeJS.ProcessEnv, registry: string): Promise<void> {
  const notationEnv = { ...env, XDG_CONFIG_HOME: join(dir, 'notation-config') };
  const client = new RegistryClient({});
  const trusted = `${registry}/notary/app:v1`;
  const untrusted = `${registry}/notary/elsewhere:v1`;
  await pushTestImage(client, parseReference(trusted), { files: { 'app.txt': 'signed with notation\n' } });
  await pushTestImage(client, parseReference(untrusted), { files: { 'app.txt': 'signed elsewhere\n' } });

  step(24, 'Notation: a test key and certificate for wabbit-networks.io, and one for another organisation');
  await sigil(['notation', 'cert', 'generate-test', '--default', 'wabbit-networks.io'], notationEnv, 0);
  await sigil(['notation', 'cert', 'generate-test', 'acme-rockets.io'], notationEnv, 0);

  step(25, 'Sign both images with sigil notation sign (JWS envelopes, OCI 1.1 referrers)');
  await sigil(['notation', 'sign', trusted], notationEnv, 0);
  await sigil(['notation', 'sign', '--key', 'acme-rockets.io', untrusted], notationEnv, 0);

  step(
    26,
    "Write the Kyverno chapter's verify-notation-signature policy with the wabbit-networks.io certificate",
  );
  const { certPath } = localKeyPaths(notationConfigDir(notationEnv), 'wabbit-networks.io');
  const pem = readFileSync(certPath, 'utf8').trim().split('\n').join('\n                      ');
  const policies = join(dir, 'notation-policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'verify-notation-signature.yaml'), notaryPolicy(`${registry}/notary/*`, pem));
  info(`    wrote ${policies}/verify-notation-signature.yaml`);

  const decide = ['admission', 'review', '--policies', policies];
  step(27, 'AdmissionReview for a pod with the wabbit-networks.io-signed image: admitted, tag pinned');
  const admitted = JSON.parse(
    await sigilOutput([...decide, '--request', writeReview(dir, 'notation-pod', [trusted])], env),
  );
  info(`    allowed: ${admitted.response.allowed}`);
  for (const op of JSON.parse(
    Buffer.from(admitted.response.patch ?? '', 'base64').toString('utf8') || '[]',
  )) {
    if (op.path.endsWith('/image')) info(`    patch: ${op.op} ${op.path} = ${op.value}`);
  }
  if (admitted.response.allowed !== true)
    throw new SigilError('BAD_INPUT', 'demo: the Notation-signed pod was not admitted');

  step(28, 'AdmissionReview for a pod with the image another organisation signed: denied with the reason');
  const denied = JSON.parse(
    await sigilOutput([...decide, '--request', writeReview(dir, 'elsewhere-pod', [untrusted])], env),
  );
  info(
    `    allowed: ${denied.response.allowed}\n    ${String(denied.response.status?.message).split('\n').join('\n    ')}`,
  );
  if (denied.response.allowed !== false)
    throw new SigilError('BAD_INPUT', 'demo: the untrusted Notation signature was admitted');
}

/** The Kyverno chapter's policy as it is written, with a real certificate (self-signed: cert and chain). */
function notaryPolicy(imageReference: string, pem: string): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-notation-signature
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-notary-v2
      match:
        any:
          - resources:
              kinds:
                - Pod
      verifyImages:
        - imageReferences:
            - "${imageReference}"
          type: Notary
          attestors:
            - count: 1
              entries:
                - certificates:
                    cert: |-
                      ${pem}
                    certChain: |-
                      ${pem}
`;
}
