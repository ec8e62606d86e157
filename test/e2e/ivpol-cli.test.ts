/**
 * The sigil binary on an ImageValidatingPolicy, offline: `admission review` answers a review as the webhook
 * would, `policy apply` and `policy test` (a kyverno-test.yaml naming the policy with
 * isImageValidatingPolicy) report Kyverno's one result per policy, and a mistake in an expression fails
 * the load with one line naming the file, the field and the column.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { sigil } from '../helpers/cli.js';

const policy = (expression: string) =>
  stringify({
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ImageValidatingPolicy',
    metadata: { name: 'pinned-images' },
    spec: {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
        ],
      },
      matchImageReferences: [{ glob: 'registry.example.com/*' }],
      validationConfigurations: { mutateDigest: false, verifyDigest: false, required: false },
      validations: [{ expression, messageExpression: "'not pinned: ' + images.containers.join(', ')" }],
    },
  });

describe('sigil on an ImageValidatingPolicy', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-ivpol-'));
    await writeFile(join(dir, 'policy.yaml'), policy('images.containers.all(i, image(i).containsDigest())'));
    await writeFile(join(dir, 'review.json'), readFileSync('test/fixtures/admission/create-pod.json'));
    const pod = (name: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: default}\nspec: {containers: [{name: c, image: "${image}"}]}\n`;
    const digest = `sha256:${'a'.repeat(64)}`;
    await writeFile(
      join(dir, 'pods.yaml'),
      `${pod('tagged', 'registry.example.com/team/app:v1')}---\n${pod('pinned', `registry.example.com/team/app@${digest}`)}`,
    );
    await writeFile(
      join(dir, 'kyverno-test.yaml'),
      stringify({
        apiVersion: 'cli.kyverno.io/v1alpha1',
        kind: 'Test',
        metadata: { name: 'test' },
        policies: ['policy.yaml'],
        resources: ['pods.yaml'],
        results: [
          {
            isImageValidatingPolicy: true,
            kind: 'Pod',
            policy: 'pinned-images',
            resources: ['tagged'],
            result: 'fail',
          },
          {
            isImageValidatingPolicy: true,
            kind: 'Pod',
            policy: 'pinned-images',
            resources: ['pinned'],
            result: 'pass',
          },
        ],
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('admission review denies with the messageExpression', async () => {
    const reviewed = await sigil(
      ['admission', 'review', '--policies', 'policy.yaml', '--request', 'review.json'],
      {
        cwd: dir,
      },
    );
    assert.equal(reviewed.code, 0, reviewed.stderr);
    const response = JSON.parse(reviewed.stdout).response;
    assert.equal(response.allowed, false);
    assert.match(
      response.status.message,
      /pinned-images:\n {2}pinned-images: 'not pinned: registry\.example\.com\/team\/app:v1'/,
    );
  });

  it('policy apply: one result per policy and Pod; policy test: expected by policy', async () => {
    const applied = await sigil(
      ['policy', 'apply', '--policy', 'policy.yaml', '--resource', 'pods.yaml', '--policy-report'],
      {
        cwd: dir,
      },
    );
    assert.equal(applied.code, 1, applied.stderr);
    assert.match(applied.stdout, /Applying 1 policy rule\(s\) to 2 resource\(s\)/);
    assert.match(
      applied.stdout,
      /policy pinned-images -> resource default\/Pod\/tagged fail:\n {2}pinned-images: not pinned: /,
    );
    assert.match(applied.stdout, /pass: 1, fail: 1/);
    assert.match(applied.stdout, /source: KyvernoImageValidatingPolicy/);
    const tested = await sigil(['policy', 'test', '.'], { cwd: dir });
    assert.equal(tested.code, 0, tested.stdout);
    assert.match(tested.stdout, /2 tests passed and 0 tests failed/);
  });

  it('a mistake in an expression fails the load naming the file, the field and the column', async () => {
    await writeFile(join(dir, 'broken.yaml'), policy('images.containers.all(i, i.nope())'));
    const loaded = await sigil(['policy', 'apply', '--policy', 'broken.yaml', '--resource', 'pods.yaml'], {
      cwd: dir,
    });
    assert.notEqual(loaded.code, 0);
    assert.match(
      loaded.stderr,
      /broken\.yaml: document 1: spec\.validations\[0\]\.expression: column \d+: .*nope/,
    );
  });
});
