/**
 * The user guides' Kyverno policies (shared/seeds: the French guide's parts 4.1, 4.2 and 6.3, and the
 * attestation-conditions guide's require-vuln-scan) as written there, but for what a private stack must
 * change: image names (this registry), the public key (the test's), and for keyless the issuer and log
 * (the stack's dev issuer and transparency log instead of GitHub's and the public Rekor).
 */

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
