/**
 * Every ClusterPolicy in the users' guides (../shared/seeds, kept as test/fixtures/policies/seeds) loads
 * unchanged, and reads as the guide means it: the key, keyless, SBOM and vulnerability policies, and the
 * Notary one, whose placeholder certificate loads with a warning and fails the images it checks. Two are
 * refused as Kyverno refuses them: Audit policies that leave mutateDigest on.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RegistryClient } from '../../src/oci/index.js';
import { evaluateResource, loadPolicies, type Policy, policyFiles } from '../../src/policy/index.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';

// validationFailureAction: Audit with mutateDigest left at true: Kyverno refuses both policies.
const REFUSED_AS_KYVERNO_DOES = [
  'seed000-require-sbom-attestation.yaml',
  'seed004-verify-image-signature.yaml',
];

const SEEDS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'policies', 'seeds');

describe('the seeds’ policies', () => {
  const refused = (file: string) => REFUSED_AS_KYVERNO_DOES.some((name) => file.endsWith(name));
  // Each guide is its own cluster: two guides may name a policy alike, so each file is loaded alone.
  const policies: Policy[] = policyFiles([SEEDS])
    .filter((file) => !refused(file))
    .flatMap((file) => loadPolicies([file]).policies);
  const byName = (name: string) => {
    const found = policies.find((p) => p.name === name);
    assert.ok(found, `policy ${name} loaded`);
    return found;
  };

  it('all load, but the two Kyverno refuses', () => {
    assert.equal(policies.length, 8);
  });

  it("refuses the Audit policies that leave mutateDigest on, with Kyverno's error", () => {
    const files = policyFiles([SEEDS]).filter(refused);
    assert.equal(files.length, REFUSED_AS_KYVERNO_DOES.length);
    for (const file of files) {
      assert.throws(
        () => loadPolicies([file]),
        /spec\.rules\[0\]\.verifyImages\[0\]\.mutateDigest: Invalid value: true: mutateDigest must be set to false for 'Audit' failure action/,
      );
    }
  });

  it('key, keyless (subject wildcard and subjectRegExp), attestation conditions and Notary read as written', () => {
    const key = byName('verify-image-signature');
    // The guide's key is a placeholder ("..."): the policy loads, says where, and fails what it checks.
    assert.equal(key.rules[0]?.verifyImages[0]?.attestors[0]?.entries[0]?.kind, 'invalid');
    assert.match(
      key.warnings.join('\n'),
      /spec\.rules\.0\.verifyImages\.0\.attestors\.0\.entries\.0\.keys\.publicKeys: .*\(images it checks will fail\)/,
    );
    const keyless = byName('verify-keyless-signature').rules[0]?.verifyImages[0]?.attestors[0];
    assert.equal(keyless?.count, 1);
    assert.deepEqual(keyless?.entries[0], {
      kind: 'keyless',
      subject: 'https://github.com/myorg/*',
      issuer: 'https://token.actions.githubusercontent.com',
      additionalExtensions: {},
      tlog: { url: 'https://rekor.sigstore.dev', ignore: false },
      ctlog: { ignoreSct: false },
    });
    const vuln = byName('require-vuln-scan').rules[0]?.verifyImages[0]?.attestations[0];
    assert.equal(vuln?.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    assert.equal(vuln?.conditions[0]?.all?.[0]?.key, '{{ scanner.result.summary.criticalCount }}');
    assert.equal(byName('verify-notation-signature').rules[0]?.verifyImages[0]?.type, 'Notary');
    const regexp = policies.find((p) => p.source.includes('seed001'));
    assert.equal(regexp?.rules[0]?.verifyImages[0]?.attestors[0]?.entries[0]?.kind, 'keyless');
  });

  it("Notary: the guide's placeholder certificate loads with a warning and fails every image it checks", async () => {
    const policy = byName('verify-notation-signature');
    assert.equal(policy.rules[0]?.verifyImages[0]?.attestors[0]?.entries[0]?.kind, 'invalid');
    assert.match(
      policy.warnings.join('\n'),
      /certificates\.cert: PEM block "CERTIFICATE" has an invalid base64 body \(images it checks will fail\)/,
    );
    // With a real certificate it verifies Notation signatures: test/policy/notary.test.ts and, against the
    // Kyverno CLI, test/interop/kyverno-notary.test.ts.
    const registry = await startTestRegistry();
    try {
      const image = await pushTeamImage(new RegistryClient({}), registry, 'app');
      const retargeted = {
        ...policy,
        rules: policy.rules.map((rule) => ({
          ...rule,
          verifyImages: rule.verifyImages.map((v) => ({ ...v, imageReferences: [`${registry.address}/*`] })),
        })),
      };
      const outcome = await evaluateResource(
        {
          kind: { group: '', version: 'v1', kind: 'Pod' },
          operation: 'CREATE',
          namespace: 'default',
          name: 'p',
          object: { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image }] } },
        },
        { policies: [retargeted] },
        { client: new RegistryClient({}), endpoint: 'mutate' },
      );
      assert.equal(outcome.results[0]?.result, 'fail');
      assert.match(
        outcome.results[0]?.message ?? '',
        /^image verification failed for .*: .*invalid base64 body/,
      );
      assert.equal(outcome.allowed, false);
    } finally {
      await registry.close();
    }
  });
});
