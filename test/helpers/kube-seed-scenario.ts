/**
 * The user guides' images, signatures and Kyverno policies on sigil's private stack. The policies
 * (shared/seeds: the French guide's parts 4.1, 4.2 and 6.3, and the attestation-conditions guide's
 * require-vuln-scan) as written there, but for what a private stack must change: image names (this registry), the public key (the test's), and for keyless the issuer and log
 * (the stack's dev issuer and transparency log instead of GitHub's and the public Rekor).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import type { RunningStack } from '../../src/server/index.js';
import { sigil } from './cli.js';

/**
 * In `dir` (the stack's data directory is dir/.sigil): the guide's 5.1 key pair; its 5.3 images, pushed
 * and signed with the key (logged) as cosign would; an image signed keyless from the guide's GitHub
 * workflow; two images with vuln attestations (0 and 3 critical); one no policy names; and the policies
 * in dir/policies. Returns the images by name (tag references) and their digests.
 */
export async function prepareSeedScenario(
  stack: RunningStack,
  dir: string,
): Promise<{ images: Record<string, string>; digests: Record<string, string> }> {
  const client = new RegistryClient({});
  const images: Record<string, string> = {};
  const digests: Record<string, string> = {};
  const run = async (args: string[]) => {
    const result = await sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: '' } });
    assert.equal(result.code, 0, `sigil ${args.join(' ')}: ${result.stderr}`);
  };
  const push = async (name: string, repository: string) => {
    const reference = parseReference(`${stack.registryAddress}/${repository}`);
    digests[name] = await pushTestImage(client, reference, { files: { 'name.txt': name } });
    images[name] = formatReference(reference);
  };
  await run(['generate-key-pair']);
  await push('unsigned', 'z3rox-lab/test:unsigned');
  await push('signed', 'z3rox-lab/test:signed');
  await push('keyless', 'z3rox-lab-ci/app:v1');
  await push('clean', 'myorg/app:clean');
  await push('vulnerable', 'myorg/app:vulnerable');
  await push('unmatched', 'elsewhere/app:v1');
  await run(['sign', '--key', 'cosign.key', '--rekor-url', stack.urls.tlog, images.signed as string]);
  const token = await stack.mintToken({
    kind: 'github-actions',
    repository: 'Z3ROX-lab/ai-security-platform',
  });
  await run(['sign', '--yes', '--identity-token', token, images.keyless as string]);
  for (const [name, criticalCount] of [
    ['clean', 0],
    ['vulnerable', 3],
  ] as const) {
    // The cosign-vuln predicate as trivy writes it, reduced to what the policy reads and the type requires.
    const predicate = {
      invocation: { uri: 'ci', event_id: '1', 'builder.id': 'ci' },
      scanner: {
        uri: 'pkg:github/aquasecurity/trivy',
        version: '0.50.0',
        result: { summary: { criticalCount } },
      },
      metadata: { scanStartedOn: '2026-01-01T00:00:00Z', scanFinishedOn: '2026-01-01T00:01:00Z' },
    };
    await writeFile(join(dir, `${name}.vuln.json`), JSON.stringify(predicate));
    const attest = ['attest', '--key', 'cosign.key', '--rekor-url', stack.urls.tlog, '--type', 'vuln'];
    await run([...attest, '--predicate', `${name}.vuln.json`, images[name] as string]);
  }
  await mkdir(join(dir, 'policies'));
  const policies = seedPolicies({
    registry: stack.registryAddress,
    publicKey: await readFile(join(dir, 'cosign.pub'), 'utf8'),
    issuer: stack.issuers['github-actions'],
    rekorUrl: stack.urls.tlog,
  });
  for (const [file, text] of Object.entries(policies)) await writeFile(join(dir, 'policies', file), text);
  return { images, digests };
}

export interface SeedPolicyContext {
  registry: string;
  /** PEM of the key that signs and attests. */
  publicKey: string;
  /** The dev issuer's GitHub Actions issuer URL. */
  issuer: string;
  rekorUrl: string;
}

const indent = (text: string, spaces: number) =>
  text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');

/** File name -> policy YAML. */
export function seedPolicies(c: SeedPolicyContext): Record<string, string> {
  return {
    'verify-image-signatures.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-image-signatures
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-signature
      match:
        any:
        - resources:
            kinds:
              - Pod
            namespaces:
              - ai-inference
      verifyImages:
        - imageReferences:
            - "${c.registry}/z3rox-lab/*"
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${indent(c.publicKey, 22)}
`,
    // The guide's keyless policy names the same images as the key policy; here it guards another
    // repository, so that each image answers to one of the two.
    'verify-github-signatures.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-github-signatures
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-github-workflow
      match:
        any:
        - resources:
            kinds:
              - Pod
            namespaces:
              - ai-inference
      verifyImages:
        - imageReferences:
            - "${c.registry}/z3rox-lab-ci/*"
          attestors:
            - entries:
                - keyless:
                    subject: "https://github.com/Z3ROX-lab/ai-security-platform/.github/workflows/*"
                    issuer: "${c.issuer}"
                    rekor:
                      url: ${c.rekorUrl}
`,
    'require-sbom-attestation.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-sbom-attestation
spec:
  validationFailureAction: Audit
  rules:
    - name: check-sbom
      match:
        any:
        - resources:
            kinds:
              - Pod
            namespaces:
              - ai-inference
      verifyImages:
        - imageReferences:
            - "${c.registry}/z3rox-lab/*"
          # The guide's policy leaves mutateDigest at true, which Kyverno refuses under Audit (so does sigil).
          mutateDigest: false
          attestations:
            - predicateType: https://spdx.dev/Document
              attestors:
                - entries:
                    - keys:
                        publicKeys: |-
${indent(c.publicKey, 26)}
`,
    'require-vuln-scan.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-vuln-scan
spec:
  validationFailureAction: Enforce
  rules:
  - name: check-no-critical-vulns
    match:
      any:
      - resources:
          kinds:
          - Pod
    verifyImages:
    - imageReferences:
      - "${c.registry}/myorg/*"
      attestations:
      - type: https://cosign.sigstore.dev/attestation/vuln/v1
        attestors:
        - entries:
          - keys:
              publicKeys: |-
${indent(c.publicKey, 16)}
        conditions:
        - all:
          # No critical vulnerabilities allowed
          - key: "{{ scanner.result.summary.criticalCount }}"
            operator: Equals
            value: 0
`,
  };
}
