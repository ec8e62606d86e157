/**
 * match/exclude namespaceSelector decided on the namespace's labels, read through the Kubernetes API (the
 * stand-in API server of test/kube) and kept between reviews; without labels the selector is left out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AdmissionRequestV1,
  cachedNamespaceLabels,
  type NamespaceLabels,
  policyEvaluator,
} from '../../src/admission/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import { matchingRules, type PolicySet, readPolicyDocument } from '../../src/policy/index.js';
import { apiClient, type FakeApiServer, startFakeApiServer } from '../kube/fake-api-server.js';

const request = (namespace: string): AdmissionRequestV1 =>
  ({
    uid: `review-${namespace}`,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace,
    name: 'web',
    userInfo: { username: 'alice' },
    object: {
      metadata: { name: 'web', namespace },
      spec: { containers: [{ name: 'c', image: 'registry.example/app:v1' }] },
    },
  }) as AdmissionRequestV1;

// type: Notary gives an (error) result at once, so a matching rule shows without any registry.
const policies = (filters: Record<string, unknown>): PolicySet => ({
  policies: [
    readPolicyDocument(
      {
        apiVersion: 'kyverno.io/v1',
        kind: 'ClusterPolicy',
        metadata: { name: 'prod-only' },
        spec: {
          validationFailureAction: 'Audit',
          failurePolicy: 'Ignore',
          rules: [
            {
              name: 'signed',
              ...filters,
              verifyImages: [{ type: 'Notary', imageReferences: ['*'], mutateDigest: false }],
            },
          ],
        },
      },
      'test',
    ),
  ],
});
const prodSelector = { namespaceSelector: { matchLabels: { env: 'prod' } } };
const matchProd = policies({ match: { any: [{ resources: { kinds: ['Pod'], ...prodSelector } }] } });

describe('namespaceSelector with namespace labels from the Kubernetes API', () => {
  let api: FakeApiServer;
  let labels: NamespaceLabels;
  before(async () => {
    api = await startFakeApiServer();
    for (const [name, env] of [
      ['shop', 'prod'],
      ['sandbox', 'dev'],
    ]) {
      api.put(`/api/v1/namespaces/${name}`, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { env: env ?? '' } },
      });
    }
    labels = cachedNamespaceLabels(apiClient(api));
  });
  after(() => api.close());

  const matched = async (set: PolicySet, namespace: string, namespaceLabels = labels) => {
    let count = 0;
    const evaluate = policyEvaluator(
      () => set,
      { client: new RegistryClient({}) },
      (_request, results) => {
        count = results.length;
      },
      namespaceLabels,
    );
    await evaluate(request(namespace), 'validate', new AbortController().signal);
    return count > 0;
  };

  it('applies a rule only in namespaces whose labels match, reading each namespace once', async () => {
    const start = api.requests.length;
    assert.equal(await matched(matchProd, 'shop'), true);
    assert.equal(await matched(matchProd, 'shop'), true);
    assert.equal(await matched(matchProd, 'sandbox'), false);
    const reads = api.requests.slice(start).map((r) => r.path);
    assert.deepEqual(reads, ['/api/v1/namespaces/shop', '/api/v1/namespaces/sandbox']);
  });

  it('excludes by namespace labels', async () => {
    const set = policies({
      match: { any: [{ resources: { kinds: ['Pod'] } }] },
      exclude: { any: [{ resources: prodSelector }] },
    });
    assert.equal(await matched(set, 'shop'), false);
    assert.equal(await matched(set, 'sandbox'), true);
  });

  it('does not call the API for policies without namespaceSelector', async () => {
    const start = api.requests.length;
    const set = policies({ match: { any: [{ resources: { kinds: ['Pod'] } }] } });
    assert.equal(await matched(set, 'elsewhere'), true);
    assert.equal(api.requests.length, start);
  });

  it('fails the evaluation (so the failurePolicy decides) when the namespace cannot be read', async () => {
    await assert.rejects(matched(matchProd, 'ghost'), /404 NotFound: namespaces "ghost" not found/);
  });

  it('leaves the selector out when labels cannot be known (offline)', () => {
    const policy = matchProd.policies[0];
    assert.ok(policy);
    const offline = { ...request('shop'), namespaceLabels: undefined };
    assert.equal(matchingRules(policy, offline).length, 1);
    assert.equal(matchingRules(policy, { ...offline, namespaceLabels: { env: 'dev' } }).length, 0);
  });
});
