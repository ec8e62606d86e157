/**
 * The verifyImages engine against really signed images on the local stack (registry, log, CA): key-based
 * and keyless attestors, count, attestations with conditions, skip patterns, match/exclude, failure
 * actions, digest pinning, registry down under failurePolicy Fail and Ignore, and policies that do not parse.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Digest } from '../../src/core/index.js';
import { attestImage, keylessSigner, signImage } from '../../src/cosign/index.js';
import {
  generateKeyPair,
  keySigner,
  loadPublicKeyPem,
  publicKeyPem,
  type Signer,
} from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { buildPolicyReport, evaluateResource, loadPolicies } from '../../src/policy/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath, RekorClient } from '../../src/tlog/index.js';
import { parseTrustedRoot } from '../../src/verify/index.js';
import { workDir } from '../helpers/cli.js';
import { deploymentRequest, podRequest, verifyImagesPolicy } from '../helpers/kyverno-policy.js';

const POD = podRequest;
const policy = verifyImagesPolicy;

describe('verifyImages engine on the local stack', () => {
  let stack: RunningStack;
  let dir: string;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const otherKey = generateKeyPair('ecdsa-p256');
  const pem = publicKeyPem(key.publicKey);
  let signed: string; // repo:tag of a key-signed image
  let signedDigest: Digest;
  let unsigned: string;
  let keylessImage: string;
  let attested: string;
  let context: Parameters<typeof evaluateResource>[2];
  const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

  const push = async (repo: string, content: string) => {
    const ref = parseReference(`${stack.registryAddress}/${repo}:v1`);
    return {
      tag: `${stack.registryAddress}/${repo}:v1`,
      digest: await pushTestImage(client, ref, { files: { 'f.txt': content } }),
      ref,
    };
  };

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    const tlog = new RekorClient(stack.urls.tlog);
    const signer: Signer = keySigner(key.privateKey);
    const a = await push('org/signed', 'signed');
    await signImage({ client, signer, image: a.ref, tlog });
    signed = a.tag;
    signedDigest = a.digest;
    unsigned = (await push('org/unsigned', 'unsigned')).tag;
    const k = await push('org/keyless', 'keyless');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    await signImage({ client, signer: await keylessSigner(stack.urls.ca, token), image: k.ref, tlog });
    keylessImage = k.tag;
    const t = await push('org/attested', 'attested');
    await signImage({ client, signer, image: t.ref, tlog });
    const scan = JSON.stringify({ scanner: { uri: 'trivy', result: { summary: { criticalCount: 2 } } } });
    await attestImage({
      client,
      signer,
      image: t.ref,
      type: 'vuln',
      predicate: Buffer.from(scan),
      predicateSource: 'scan',
      tlog,
    });
    const sbom = JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT' });
    await attestImage({
      client,
      signer,
      image: t.ref,
      type: 'spdxjson',
      predicate: Buffer.from(sbom),
      predicateSource: 'sbom',
      tlog,
    });
    attested = t.tag;
    context = {
      client,
      trustedRoot: parseTrustedRoot(readFileSync(stack.trustedRootPath), 'trusted root'),
      rekorPublicKey: loadPublicKeyPem(
        readFileSync(`${logKeyPath(join(dir, '.sigil', 'tlog'))}.pub`, 'utf8'),
        'log key',
      ),
      endpoint: 'mutate',
    };
  });
  after(() => stack.close());

  const keyPolicy = (publicKeys = pem, extra: Record<string, unknown> = {}) =>
    policy('verify-key', [
      {
        imageReferences: [`${stack.registryAddress}/org/*`],
        attestors: [{ entries: [{ keys: { publicKeys } }] }],
        ...extra,
      },
    ]);

  it('admits a key-signed image and pins its tag to the digest, with the verify-images annotation', async () => {
    const outcome = await evaluateResource(POD([signed]), keyPolicy(), context);
    assert.equal(outcome.allowed, true, outcome.message);
    assert.deepEqual(outcome.patch[0], {
      op: 'replace',
      path: '/spec/containers/0/image',
      value: `${signed}@${signedDigest}`,
    });
    assert.equal(outcome.patch[1]?.path, '/metadata/annotations');
    assert.deepEqual(
      outcome.results.map((r) => r.result),
      ['pass'],
    );
  });

  it('denies an unsigned image under Enforce, naming policy, rule and image; admits it under Audit with a failing result', async () => {
    const enforced = await evaluateResource(POD([unsigned]), keyPolicy(), context);
    assert.equal(enforced.allowed, false);
    assert.match(
      enforced.message ?? '',
      /resource Pod\/default\/web was blocked due to the following policies\n\nverify-key:\n {2}verify-key-rule: 'image verification failed for .*org\/unsigned:v1: .*no signatures found/,
    );
    assert.deepEqual(enforced.patch, []);
    const audit = policy('audit', [
      { imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: pem } }] }] },
    ]);
    audit.policies[0]!.failureAction = 'Audit';
    const audited = await evaluateResource(POD([unsigned]), audit, context);
    assert.equal(audited.allowed, true);
    assert.equal(audited.results[0]?.result, 'fail');
    const report = buildPolicyReport(
      { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default' },
      audited.results,
    );
    assert.equal(report.kind, 'PolicyReport');
    assert.deepEqual(report.summary, { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
  });

  it('rejects a signature by another key', async () => {
    const outcome = await evaluateResource(
      POD([signed]),
      keyPolicy(publicKeyPem(otherKey.publicKey)),
      context,
    );
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /invalid signature for the given public key/);
  });

  it('count: one of two keys is enough with count 1, not without', async () => {
    const two = `${publicKeyPem(otherKey.publicKey)}\n${pem}`;
    const withCount = policy('count', [
      { imageReferences: ['*'], attestors: [{ count: 1, entries: [{ keys: { publicKeys: two } }] }] },
    ]);
    assert.equal((await evaluateResource(POD([signed]), withCount, context)).allowed, true);
    const all = policy('all', [
      { imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: two } }] }] },
    ]);
    const outcome = await evaluateResource(POD([signed]), all, context);
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /1 of 2 required entries verified/);
  });

  it('keyless: subject wildcard, subjectRegExp and issuer match; a look-alike subject and another issuer do not', async () => {
    const keyless = (entry: Record<string, unknown>) =>
      policy('keyless', [{ imageReferences: ['*'], attestors: [{ entries: [{ keyless: entry }] }] }]);
    const issuer = stack.issuers['github-actions'];
    for (const entry of [
      { subject: 'https://github.com/org/*', issuer },
      { subjectRegExp: '^https://github.com/org/', issuer },
      { subject: identity, issuerRegExp: '^http://127\\.0\\.0\\.1' },
    ]) {
      const outcome = await evaluateResource(POD([keylessImage]), keyless(entry), context);
      assert.equal(outcome.allowed, true, `${JSON.stringify(entry)}: ${outcome.message}`);
    }
    for (const entry of [
      { subject: 'https://github.com/org-evil/*', issuer },
      { subjectRegExp: '^https://github.com/org-evil/', issuer },
      { subject: 'https://github.com/org/*', issuer: stack.issuers.email },
    ]) {
      const outcome = await evaluateResource(POD([keylessImage]), keyless(entry), context);
      assert.equal(outcome.allowed, false, JSON.stringify(entry));
      assert.match(outcome.message ?? '', /certificate identity rejected/);
    }
  });

  it('attestations: present and meeting the condition, missing, and failing the condition', async () => {
    const attestation = (type: string, conditions: unknown[]) =>
      policy('attest', [
        {
          imageReferences: ['*'],
          attestations: [{ type, attestors: [{ entries: [{ keys: { publicKeys: pem } }] }], conditions }],
        },
      ]);
    const spdx = [{ all: [{ key: '{{ spdxVersion }}', operator: 'Equals', value: 'SPDX-2.3' }] }];
    assert.equal(
      (await evaluateResource(POD([attested]), attestation('https://spdx.dev/Document', spdx), context))
        .allowed,
      true,
    );
    const missing = await evaluateResource(
      POD([signed]),
      attestation('https://spdx.dev/Document', spdx),
      context,
    );
    assert.equal(missing.allowed, false);
    assert.match(missing.message ?? '', /no attestations found/);
    const noCritical = [
      { all: [{ key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value: 0 }] },
    ];
    const failing = await evaluateResource(
      POD([attested]),
      attestation('https://cosign.sigstore.dev/attestation/vuln/v1', noCritical),
      context,
    );
    assert.equal(failing.allowed, false);
    assert.match(failing.message ?? '', /does not meet the conditions/);
  });

  it('skipImageReferences and exclude by namespace leave images alone; autogen covers Deployments', async () => {
    const skipping = keyPolicy(pem, { skipImageReferences: [`${stack.registryAddress}/org/unsigned*`] });
    const skipped = await evaluateResource(POD([unsigned]), skipping, context);
    assert.equal(skipped.allowed, true);
    // Reported as skipped, as kyverno apply does (docs/kyverno-parity.md), not left out of the results.
    assert.deepEqual(
      skipped.results.map((r) => [r.result, r.image]),
      [['skip', unsigned]],
    );
    const excluded = policy(
      'exclude',
      [{ imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: pem } }] }] }],
      { exclude: { any: [{ resources: { namespaces: ['kube-*'] } }] } },
    );
    assert.equal((await evaluateResource(POD([unsigned], 'kube-system'), excluded, context)).allowed, true);
    assert.equal((await evaluateResource(POD([unsigned], 'apps'), excluded, context)).allowed, false);
    const deployment = deploymentRequest(signed, 'apps');
    const outcome = await evaluateResource(deployment, keyPolicy(), context);
    assert.equal(outcome.allowed, true, outcome.message);
    assert.equal(outcome.results[0]?.rule, 'autogen-verify-key-rule');
    assert.equal(outcome.patch[0]?.path, '/spec/template/spec/containers/0/image');
  });

  it('registry down: failurePolicy Fail denies, Ignore admits with a warning', async () => {
    const down = '127.0.0.1:9/org/app:v1';
    const fail = policy('down', [
      { imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: pem } }] }] },
    ]);
    const denied = await evaluateResource(POD([down]), fail, context);
    assert.equal(denied.allowed, false);
    assert.equal(denied.results[0]?.result, 'error');
    fail.policies[0]!.failurePolicy = 'Ignore';
    const ignored = await evaluateResource(POD([down]), fail, context);
    assert.equal(ignored.allowed, true);
    assert.equal(ignored.warnings.length, 1);
  });

  it('verifyDigest: the validate endpoint requires a digest', async () => {
    const outcome = await evaluateResource(POD([signed]), keyPolicy(), { ...context, endpoint: 'validate' });
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /missing digest for \.spec\.containers\[0\]\.image/);
    const pinned = await evaluateResource(POD([`${signed}@${signedDigest}`]), keyPolicy(), {
      ...context,
      endpoint: 'validate',
    });
    assert.equal(pinned.allowed, true, pinned.message);
  });

  it('verifyDigest with mutateDigest: false fails a tag at mutation already, as kyverno apply does', async () => {
    const unpinned = keyPolicy(pem, { mutateDigest: false });
    const outcome = await evaluateResource(POD([signed]), unpinned, context);
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /missing digest for \.spec\.containers\[0\]\.image/);
    const unchecked = keyPolicy(pem, { mutateDigest: false, verifyDigest: false });
    const admitted = await evaluateResource(POD([signed]), unchecked, context);
    assert.equal(admitted.allowed, true, admitted.message);
    assert.deepEqual(
      admitted.patch.filter((p) => p.path.includes('containers')),
      [],
    );
  });

  it('required: false does not admit an unsigned image (Kyverno still verifies; docs/kyverno-parity.md)', async () => {
    const optional = keyPolicy(pem, { required: false });
    const outcome = await evaluateResource(POD([unsigned]), optional, context);
    assert.equal(outcome.allowed, false);
    assert.equal(outcome.results[0]?.result, 'fail');
    assert.match(outcome.message ?? '', /no signatures found/);
  });

  it('policies that do not parse are reported with file, document and path', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: ok\nspec:\n  rules:\n    - name: r\n      match: {any: [{resources: {kinds: [Pod]}}]}\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: bad\nspec:\n  rules:\n    - name: r\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      verifyImages:\n        - imageReferences: ["*"]\n          attestors:\n            - entries:\n                - keyless: {subject: x}\n',
    );
    assert.throws(
      () => loadPolicies([file]),
      /bad.yaml: document 2: spec\.rules\.0\.verifyImages\.0\.attestors\.0\.entries\.0\.keyless: needs subject or subjectRegExp, and issuer/,
    );
    await writeFile(file, 'kind: ClusterPolicy\nmetadata: [\n');
    assert.throws(() => loadPolicies([file]), /bad.yaml: document 1 \(line \d+\): invalid YAML/);
    assert.ok(parseYaml);
  });
});
