/**
 * PolicyReports through the Kubernetes API (the stand-in API server of test/kube): one report per resource,
 * named by its UID with the resource as scope and owner, the latest of several reviews written once, write
 * failures reported and never thrown, and admission answering before the report is written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdmissionServer, policyEvaluator, ReportWriter } from '../../src/admission/index.js';
import { reportFor } from '../../src/cli/policy-context.js';
import { messageOf } from '../../src/core/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import { type PolicyReport, type PolicyResult, readPolicyDocument } from '../../src/policy/index.js';
import { apiClient, suiteApiServer } from '../kube/fake-api-server.js';

const pod = (uid: string | undefined, namespace = 'default') => ({
  kind: { group: '', version: 'v1', kind: 'Pod' },
  name: `web-${uid ?? 'new'}`,
  namespace,
  object: { metadata: { name: `web-${uid ?? 'new'}`, namespace, ...(uid ? { uid } : {}) } },
});
const result = (outcome: PolicyResult['result']): PolicyResult => ({
  policy: 'check-images',
  rule: 'signed',
  result: outcome,
  message: outcome,
  image: 'registry.example/app:v1',
});

describe('PolicyReports written through the Kubernetes API', () => {
  const kube = suiteApiServer({ forbiddenToken: 'restricted' });

  it('names the report by the resource UID, with the resource as scope and owner (as Kyverno does)', () => {
    const report = reportFor(pod('0a1b'), [result('pass')]);
    assert.equal(report.metadata.name, '0a1b');
    assert.equal(report.metadata.namespace, 'default');
    assert.deepEqual(report.metadata.ownerReferences, [
      { apiVersion: 'v1', kind: 'Pod', name: 'web-0a1b', uid: '0a1b' },
    ]);
    assert.deepEqual(report.scope, {
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'web-0a1b',
      namespace: 'default',
      uid: '0a1b',
    });
    assert.equal(report.metadata.labels['app.kubernetes.io/managed-by'], 'sigil');
    assert.equal(reportFor(pod(undefined), [result('pass')]).scope, undefined);
  });

  it('writes the latest report of each resource once per batch, by server-side apply', async () => {
    const start = kube.api.requests.length;
    const writer = new ReportWriter({ write: (r) => kube.client.apply(r) });
    writer.submit(reportFor(pod('uid-a'), [result('error')]));
    writer.submit(reportFor(pod('uid-a'), [result('fail')]));
    writer.submit(reportFor(pod('uid-a'), [result('pass')]));
    writer.submit(reportFor(pod('uid-b', 'prod'), [result('fail')]));
    assert.equal(writer.size, 2);
    await writer.flush();
    const patches = kube.api.requests.slice(start);
    assert.deepEqual(patches.map((r) => `${r.method} ${r.path}`).sort(), [
      'PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/uid-a',
      'PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/prod/policyreports/uid-b',
    ]);
    const stored = kube.api.objects.get(
      '/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/uid-a',
    ) as PolicyReport | undefined;
    assert.deepEqual(stored?.summary, { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 });
    assert.equal(writer.size, 0);
  });

  it('reports a failed write and goes on', async () => {
    const restricted = apiClient(kube.api, 'restricted');
    const errors: string[] = [];
    const writer = new ReportWriter({
      write: (r) => restricted.apply(r),
      onError: (r, err) => errors.push(`${r.metadata.name}: ${messageOf(err)}`),
    });
    writer.submit(reportFor(pod('uid-c'), [result('pass')]));
    await writer.close();
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^uid-c: Kubernetes API: PATCH .*\/policyreports\/uid-c: 403 Forbidden/);
  });

  it('answers the admission review before the report is written', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const written: string[] = [];
    const writer = new ReportWriter({
      write: async (report) => {
        await gate;
        written.push(report.metadata.name);
      },
    });
    // type: Notary verifications give an error result at once: no registry is needed to produce a report.
    const policies = {
      policies: [
        readPolicyDocument(
          {
            apiVersion: 'kyverno.io/v1',
            kind: 'ClusterPolicy',
            metadata: { name: 'check-images' },
            spec: {
              validationFailureAction: 'Audit',
              failurePolicy: 'Ignore',
              rules: [
                {
                  name: 'signed',
                  match: { any: [{ resources: { kinds: ['Pod'] } }] },
                  verifyImages: [{ type: 'Notary', imageReferences: ['*'], mutateDigest: false }],
                },
              ],
            },
          },
          'test',
        ),
      ],
    };
    const server = createAdmissionServer({
      tls: { cert: '', key: '' },
      evaluate: policyEvaluator(
        () => policies,
        { client: new RegistryClient({}) },
        (request, results) => writer.submit(reportFor(request, results)),
      ),
      policyState: () => ({ generation: 1 }),
    });
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'r1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        operation: 'CREATE',
        namespace: 'default',
        name: 'web',
        userInfo: { username: 'alice' },
        object: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web', namespace: 'default', uid: 'uid-d' },
          spec: { containers: [{ name: 'c', image: 'registry.example/app:v1' }] },
        },
      },
    };
    const response = await server.handlers.Fail.review(review, 'validate');
    assert.equal(response.response.allowed, true);
    assert.equal(writer.size, 1);
    assert.deepEqual(written, []);
    const flushed = writer.flush();
    release();
    await flushed;
    assert.deepEqual(written, ['uid-d']);
  });
});
