/**
 * The webhook's decision log: a bounded ring (newest first, the oldest dropped), filters by namespace,
 * policy and result, per-minute counts, the latest PolicyReport per resource, and its read-only routes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdmissionRequestV1, createAdmissionServer, DecisionLog } from '../../src/admission/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';

function event(uid: string, namespace: string, allowed: boolean, policy = 'require-signature') {
  const request = {
    uid,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace,
    name: `pod-${uid}`,
    operation: 'CREATE',
    userInfo: { username: 'admin' },
    object: {
      metadata: { name: `pod-${uid}` },
      spec: { containers: [{ name: 'c', image: `reg/app:${uid}` }] },
    },
  } as AdmissionRequestV1;
  return {
    request,
    endpoint: 'validate' as const,
    latencyMs: 1.5,
    decision: {
      allowed,
      warnings: [],
      ...(allowed ? {} : { message: `denied by ${policy}` }),
      results: [
        { policy, rule: 'verify', result: allowed ? ('pass' as const) : ('fail' as const), message: 'm' },
      ],
    },
  };
}

describe('admission decision log', () => {
  it('keeps the newest decisions, filters them and counts them per minute', () => {
    const log = new DecisionLog(3);
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
    log.record(event('a', 'prod', true), at(0));
    log.record(event('b', 'prod', false), at(0));
    log.record(event('c', 'dev', false, 'other'), at(1));
    log.record(event('d', 'prod', true), at(2));
    assert.deepEqual(
      log.decisions().map((d) => d.id),
      ['d', 'c', 'b'],
    );
    assert.equal(log.decision('a'), undefined, 'the oldest left the ring');
    assert.deepEqual(
      log.decisions({ namespace: 'prod' }).map((d) => d.id),
      ['d', 'b'],
    );
    assert.deepEqual(
      log.decisions({ result: 'denied' }).map((d) => d.id),
      ['c', 'b'],
    );
    assert.deepEqual(
      log.decisions({ policy: 'other' }).map((d) => d.id),
      ['c'],
    );
    assert.deepEqual(log.decisions({ limit: 1 }).length, 1);
    const b = log.decision('b');
    assert.equal(b?.message, 'denied by require-signature');
    assert.deepEqual(b?.images, ['reg/app:b']);
    assert.equal(b?.name, 'pod-b');
    const base = Date.UTC(2026, 0, 1) / 60_000;
    assert.deepEqual(log.counts(), [
      { minute: base, allowed: 0, denied: 1 },
      { minute: base + 1, allowed: 0, denied: 1 },
      { minute: base + 2, allowed: 1, denied: 0 },
    ]);
  });

  it('serves decisions and reports read-only on the webhook server', async () => {
    const log = new DecisionLog();
    const tls = selfSignedCertificate();
    const server = createAdmissionServer({
      tls,
      evaluate: async () => ({ allowed: true, warnings: [] }),
      policyState: () => ({ generation: 1 }),
      decisionLog: log,
    });
    log.record(event('x', 'prod', false));
    log.report({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'r1', namespace: 'prod', labels: {} },
      results: [],
      summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
    });
    try {
      const list = await server.app.inject({
        url: '/api/v1/console/admissions?result=denied&namespace=prod',
      });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(
        list.json().decisions.map((d: { id: string }) => d.id),
        ['x'],
      );
      assert.equal(list.json().counts[0].denied, 1);
      assert.equal((await server.app.inject({ url: '/api/v1/console/admissions/x' })).json().allowed, false);
      assert.equal((await server.app.inject({ url: '/api/v1/console/admissions/nope' })).statusCode, 404);
      const bad = await server.app.inject({ url: '/api/v1/console/admissions?result=maybe' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error, /result must be allowed or denied/);
      const reports = await server.app.inject({ url: '/api/v1/console/policyreports?namespace=prod' });
      assert.equal(reports.json().reports[0].metadata.name, 'r1');
      const write = await server.app.inject({ method: 'POST', url: '/api/v1/console/admissions' });
      assert.equal(write.statusCode, 404, 'read-only');
    } finally {
      await server.app.close();
    }
  });
});
