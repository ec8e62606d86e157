/**
 * The admission webhook as an operator runs it: `sigil admission serve` over HTTPS with a Kyverno policy
 * directory, and `sigil admission review` offline, on AdmissionReviews shaped as the API server sends
 * them (test/fixtures/admission), for an image signed with `sigil sign` and an unsigned one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../../src/core/index.js';
import {
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { httpsGet, startAdmissionServe } from '../helpers/admission-serve.js';
import { sigil, workDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'admission');

function review(image: string, uid: string): Record<string, unknown> {
  const body = JSON.parse(readFileSync(join(FIXTURES, 'create-pod.json'), 'utf8'));
  body.request.uid = uid;
  body.request.object.spec.containers[0].image = image;
  return body;
}

function post(
  port: number,
  ca: string,
  path: string,
  body: string,
): Promise<{ status: number; json: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('sigil admission (webhook and offline review) with a Kyverno key policy', () => {
  let registry: RunningRegistry;
  let dir: string;
  let signed: string;
  let digest: Digest;
  let unsigned: string;
  const client = new RegistryClient({});
  const env = { COSIGN_PASSWORD: '' };

  before(async () => {
    dir = await workDir();
    registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await mkdtemp(join(tmpdir(), 'sigil-reg-')), 'd'),
    });
    assert.equal((await sigil(['generate-key-pair'], { cwd: dir, env })).code, 0);
    const ref = (repo: string) => parseReference(`${registry.address}/team/${repo}:v1`);
    digest = await pushTestImage(client, ref('app'), { files: { 'a.txt': 'app' } });
    await pushTestImage(client, ref('other'), { files: { 'o.txt': 'other' } });
    signed = `${registry.address}/team/app:v1`;
    unsigned = `${registry.address}/team/other:v1`;
    const sign = await sigil(['sign', '--key', 'cosign.key', '--tlog-upload=false', signed], {
      cwd: dir,
      env,
    });
    assert.equal(sign.code, 0, sign.stderr);
    const pub = readFileSync(join(dir, 'cosign.pub'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => `                      ${l}`)
      .join('\n');
    await mkdir(join(dir, 'policies'));
    await writeFile(
      join(dir, 'policies', 'verify.yaml'),
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-image-signature
  annotations:
    policies.kyverno.io/severity: high
spec:
  validationFailureAction: Enforce
  webhookTimeoutSeconds: 30
  rules:
    - name: verify-cosign-signature
      match:
        any:
          - resources:
              kinds:
                - Pod
      verifyImages:
        - imageReferences:
            - "${registry.address}/team/*"
          attestors:
            - count: 1
              entries:
                - keys:
                    publicKeys: |-
${pub}
                    rekor:
                      ignoreTlog: true
`,
    );
    await writeFile(join(dir, 'signed.json'), JSON.stringify(review(signed, 'uid-signed')));
    await writeFile(join(dir, 'unsigned.json'), JSON.stringify(review(unsigned, 'uid-unsigned')));
  });
  after(() => registry.close());

  it('review: admits the signed pod with the digest patch, denies the unsigned one with the reason, writes reports', async () => {
    const ok = await sigil(
      [
        'admission',
        'review',
        '--policies',
        'policies',
        '--request',
        'signed.json',
        '--report-dir',
        'reports',
      ],
      { cwd: dir },
    );
    assert.equal(ok.code, 0, ok.stderr);
    const answer = JSON.parse(ok.stdout);
    assert.equal(answer.response.uid, 'uid-signed');
    assert.equal(answer.response.allowed, true);
    const patch = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8'));
    assert.deepEqual(patch[0], {
      op: 'replace',
      path: '/spec/containers/0/image',
      value: `${signed}@${digest}`,
    });
    const denied = await sigil(
      [
        'admission',
        'review',
        '--policies',
        'policies',
        '--request',
        'unsigned.json',
        '--report-dir',
        'reports',
      ],
      { cwd: dir },
    );
    const no = JSON.parse(denied.stdout);
    assert.equal(no.response.allowed, false);
    assert.equal(no.response.status.code, 403);
    assert.match(
      no.response.status.message,
      /verify-image-signature:\n {2}verify-cosign-signature: 'image verification failed for .*team\/other:v1: no signatures found/,
    );
    const reports = await readdir(join(dir, 'reports'));
    assert.equal(reports.length, 1, 'both pods are default/web: one report, rewritten');
    assert.match(
      readFileSync(join(dir, 'reports', reports[0] as string), 'utf8'),
      /kind: PolicyReport[\s\S]*result: fail[\s\S]*severity: high/,
    );
  });

  it('policy apply: results per resource, the digest a tag is pinned to, PolicyReports, exit 1 on failures', async () => {
    const pod = (name: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;
    await writeFile(join(dir, 'pods.yaml'), `${pod('good', signed)}---\n${pod('bad', unsigned)}`);
    const applied = await sigil(
      ['policy', 'apply', '--policy', 'policies', '--resource', 'pods.yaml', '--policy-report'],
      { cwd: dir },
    );
    assert.equal(applied.code, 1, 'a failing rule fails the run, as kyverno apply');
    assert.match(applied.stdout, /Applying 1 policy rule\(s\) to 2 resource\(s\)/);
    assert.match(applied.stdout, /policy verify-image-signature -> resource apps\/Pod\/bad fail:/);
    assert.match(
      applied.stdout,
      new RegExp(
        `mutated apps/Pod/good: /spec/containers/0/image = ${signed.replace(/[.]/g, '\\.')}@${digest}`,
      ),
    );
    assert.match(applied.stdout, /pass: 1, fail: 1, warn: 0, error: 0, skip: 0/);
    assert.match(applied.stdout, /kind: PolicyReport/);
    const good = await sigil(
      ['policy', 'apply', '--policy', 'policies', '--resource', 'pods.yaml', '-o', 'json'],
      { cwd: dir },
    );
    const json = JSON.parse(good.stdout);
    assert.deepEqual(json.summary, { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec: {rules: []}\n',
    );
    const broken = await sigil(['policy', 'apply', '--policy', 'broken.yaml', '--resource', 'pods.yaml'], {
      cwd: dir,
    });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^Error: broken.yaml: document 1: spec\.rules: /m);
    await writeFile(
      join(dir, 'validate.yaml'),
      [
        'apiVersion: kyverno.io/v1',
        'kind: ClusterPolicy',
        'metadata: {name: no-latest}',
        'spec:',
        '  rules:',
        '    - name: no-latest',
        '      match: {any: [{resources: {kinds: [Pod]}}]}',
        '      validate: {message: no latest, pattern: {spec: {containers: [{image: "!*:latest"}]}}}',
        '',
      ].join('\n'),
    );
    const unenforced = await sigil(
      ['policy', 'apply', '--policy', 'validate.yaml', '--resource', 'pods.yaml'],
      {
        cwd: dir,
      },
    );
    assert.match(
      unenforced.stderr,
      /validate.yaml: document 1: rule no-latest: validate is not enforced \(sigil enforces verifyImages only\)/,
    );
  });

  it('policy test: kyverno-test.yaml results checked per policy, rule and resource; a mismatch exits 1', async () => {
    await mkdir(join(dir, 'tests'));
    await writeFile(join(dir, 'tests', 'pods.yaml'), readFileSync(join(dir, 'pods.yaml')));
    const testFile = (result: string) => `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: verify-images
policies:
  - ../policies/verify.yaml
resources:
  - pods.yaml
results:
  - policy: verify-image-signature
    rule: verify-cosign-signature
    resources: [good]
    kind: Pod
    result: pass
  - policy: verify-image-signature
    rule: verify-cosign-signature
    resources: [bad]
    kind: Pod
    result: ${result}
`;
    await writeFile(join(dir, 'tests', 'kyverno-test.yaml'), testFile('fail'));
    const ok = await sigil(['policy', 'test', 'tests'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Test Summary: 2 tests passed and 0 tests failed/);
    await writeFile(join(dir, 'tests', 'kyverno-test.yaml'), testFile('pass'));
    const mismatch = await sigil(['policy', 'test', 'tests'], { cwd: dir });
    assert.equal(mismatch.code, 1);
    assert.match(
      mismatch.stdout,
      /│ 2 │ verify-image-signature │ verify-cosign-signature │ Pod\/bad │ Fail │ Want pass, got fail │/,
    );
    assert.match(mismatch.stdout, /Test Summary: 1 tests passed and 1 tests failed/);
  });

  it('a ClusterImagePolicy through policy apply and review; --cip-no-match for images it does not match', async () => {
    const pub = readFileSync(join(dir, 'cosign.pub'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => `          ${l}`);
    await mkdir(join(dir, 'cip'));
    await writeFile(
      join(dir, 'cip', 'policy.yaml'),
      [
        'apiVersion: policy.sigstore.dev/v1beta1',
        'kind: ClusterImagePolicy',
        'metadata: {name: team-app}',
        'spec:',
        `  images: [{glob: "${registry.address}/team/app:*"}]`,
        '  authorities:',
        '    - key:',
        '        data: |',
        ...pub,
        '',
      ].join('\n'),
    );
    const pod = (name: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: apps}\nspec: {containers: [{name: c, image: "${image}"}]}\n`;
    await writeFile(join(dir, 'cip-pods.yaml'), `${pod('good', signed)}---\n${pod('unmatched', unsigned)}`);
    const apply = (...flags: string[]) =>
      sigil(['policy', 'apply', '--policy', 'cip', '--resource', 'cip-pods.yaml', ...flags], { cwd: dir });
    const denied = await apply();
    assert.equal(denied.code, 1, denied.stderr);
    assert.match(
      denied.stdout,
      /policy no-match-policy -> resource apps\/Pod\/unmatched fail:\n {2}deny: no matching policies for image /,
    );
    assert.match(denied.stdout, /pass: 1, fail: 1/);
    const allowed = await apply('--cip-no-match', 'allow');
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stdout, /pass: 1, fail: 0/);
    const refused = await apply('--cip-no-match', 'maybe');
    assert.equal(refused.code === 0, false);
    assert.match(refused.stderr, /--cip-no-match.*must be one of allow, warn, deny/);
    const reviewed = await sigil(
      ['admission', 'review', '--policies', 'cip', '--request', 'unsigned.json', '--cip-no-match', 'warn'],
      { cwd: dir },
    );
    assert.equal(reviewed.code, 0, reviewed.stderr);
    const response = JSON.parse(reviewed.stdout).response;
    assert.equal(response.allowed, true);
    assert.match(response.warnings.join('\n'), /no-match-policy: no matching policies for image/);
  });

  /** `admission serve` on the policies with a fresh serving certificate and these flags. */
  async function serve(name: string, flags: string[]) {
    const tls = selfSignedCertificate();
    await writeFile(join(dir, `${name}.crt`), tls.cert);
    await writeFile(join(dir, `${name}.key`), tls.key);
    const port = await freePort();
    const server = await startAdmissionServe(
      ['--policies', 'policies', '--tls-cert', `${name}.crt`, '--tls-key', `${name}.key`]
        .concat(['--addr', `127.0.0.1:${port}`])
        .concat(flags),
      dir,
    );
    return { tls, port, server };
  }

  it('serve: answers AdmissionReviews over HTTPS, 400 for garbage, health and metrics (image cache hits)', async () => {
    // Longer than any run of this test, so that the second review of the signed tag reuses it.
    const { tls, port, server } = await serve('tls', ['--tag-resolution-ttl', '3600']);
    try {
      const allowed = await post(port, tls.cert, '/mutate', JSON.stringify(review(signed, 'a')));
      assert.equal(allowed.status, 200);
      assert.equal((allowed.json as { response: { allowed: boolean } }).response.allowed, true);
      const denied = await post(port, tls.cert, '/validate', JSON.stringify(review(unsigned, 'b')));
      assert.equal((denied.json as { response: { allowed: boolean } }).response.allowed, false);
      // Another pod of the signed image: a new decision, but the image's verification is reused.
      const otherPod = review(signed, 'c') as {
        request: { name: string; object: { metadata: { name: string } } };
      };
      otherPod.request.name = 'another-pod';
      otherPod.request.object.metadata.name = 'another-pod';
      const again = await post(port, tls.cert, '/mutate', JSON.stringify(otherPod));
      assert.equal((again.json as { response: { allowed: boolean } }).response.allowed, true);
      const garbage = await post(port, tls.cert, '/mutate', '{"kind":"NotAReview"}');
      assert.equal(garbage.status, 400);
      const get = (path: string) => httpsGet(port, path, { ca: tls.cert });
      assert.equal((await get('/health/readiness')).status, 200);
      assert.match(
        (await get('/metrics')).text,
        /sigil_admission_decisions_total\{endpoint="mutate",result="allowed"\} 2/,
      );
      assert.match(
        (await get('/metrics')).text,
        /sigil_admission_image_verify_cache_lookups_total\{result="hit"\} 1/,
      );
      const metrics = (await get('/metrics')).text;
      assert.match(metrics, /sigil_admission_tag_resolution_lookups_total\{result="hit"\} 1/);
      // The unsigned pod went to /validate, where a tag is refused for its missing digest before any lookup.
      assert.match(metrics, /sigil_admission_tag_resolution_lookups_total\{result="miss"\} 1/);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('serve --tag-resolution-ttl 0: no tag is reused, each review resolves its own', async () => {
    const { tls, port, server } = await serve('tls0', ['--tag-resolution-ttl', '0']);
    try {
      for (const uid of ['x', 'y']) {
        const pod = review(signed, uid) as {
          request: { name: string; object: { metadata: { name: string } } };
        };
        pod.request.name = `pod-${uid}`;
        pod.request.object.metadata.name = `pod-${uid}`;
        const answer = await post(port, tls.cert, '/mutate', JSON.stringify(pod));
        assert.equal((answer.json as { response: { allowed: boolean } }).response.allowed, true);
      }
      const metrics = (await httpsGet(port, '/metrics', { ca: tls.cert })).text;
      assert.doesNotMatch(metrics, /sigil_admission_tag_resolution_lookups_total\{/);
      assert.match(metrics, /sigil_admission_image_verify_cache_lookups_total\{result="hit"\} 1/);
    } finally {
      server.kill('SIGTERM');
    }
  });
});
