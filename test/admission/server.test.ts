import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AdmissionDecision,
  type AdmissionEvaluator,
  type AdmissionReviewResponse,
  createAdmissionServer,
  parseTimeoutParameter,
  readTlsDirectory,
} from '../../src/admission/index.js';
import { resourceImages } from '../../src/policy/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join('test/fixtures/admission', name), 'utf8')) as unknown;

interface HttpAnswer {
  status: number;
  body: string;
}

function call(port: number, ca: string, method: string, path: string, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, method, path, ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const SIGNED_DIGEST = `sha256:${'12'.repeat(32)}`;

/** Stands in for the policy engine: images under /signed/ verify, others fail; "unreachable" throws. */
function fakeEngine(mode: { enforce: boolean; calls: number; hang: boolean }): AdmissionEvaluator {
  return async (request, endpoint, signal) => {
    mode.calls++;
    if (mode.hang) {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('registry call aborted'))),
      );
    }
    const images = resourceImages(request.kind.kind, request.object).map((i) => i.image);
    if (images.some((image) => image.includes('unreachable')))
      throw new Error('registry 127.0.0.1:1 unreachable');
    const unsigned = images.filter((image) => !image.includes('/signed/'));
    if (unsigned.length > 0) {
      const message = `image verification failed for ${unsigned.join(', ')}: no signatures found`;
      return mode.enforce
        ? { allowed: false, message, warnings: [] }
        : { allowed: true, warnings: [message] };
    }
    const decision: AdmissionDecision = { allowed: true, warnings: [] };
    if (endpoint === 'mutate') {
      decision.patch = [
        { op: 'replace', path: '/spec/containers/0/image', value: `${images[0]}@${SIGNED_DIGEST}` },
      ];
    }
    return decision;
  };
}

function podReview(image: string, uid = 'uid-1'): Record<string, unknown> {
  const review = structuredClone(fixture('create-pod.json')) as {
    request: { uid: string; object: { spec: { containers: { image: string }[] } } };
  };
  review.request.uid = uid;
  const container = review.request.object.spec.containers[0];
  if (container) container.image = image;
  return review as unknown as Record<string, unknown>;
}

describe('admission webhook over HTTPS', () => {
  const tls = selfSignedCertificate();
  const mode = { enforce: true, calls: 0, hang: false };
  const policy = { generation: 1, error: undefined as string | undefined };
  const server = createAdmissionServer({ tls, evaluate: fakeEngine(mode), policyState: () => policy });
  let port = 0;
  const post = async (path: string, body: unknown): Promise<AdmissionReviewResponse> => {
    const answer = await call(port, tls.cert, 'POST', path, JSON.stringify(body));
    assert.equal(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as AdmissionReviewResponse;
  };

  before(async () => {
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const address = server.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  after(async () => {
    await server.app.close();
  });

  test('signed image: allowed with a base64 JSONPatch pinning the digest, uid echoed', async () => {
    const answer = await post('/mutate', podReview('registry.example.com/signed/app:v1', 'uid-signed'));
    assert.equal(answer.apiVersion, 'admission.k8s.io/v1');
    assert.equal(answer.kind, 'AdmissionReview');
    assert.equal(answer.response.uid, 'uid-signed');
    assert.equal(answer.response.allowed, true);
    assert.equal(answer.response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(answer.response.patch ?? '', 'base64').toString('utf8')) as unknown;
    assert.deepEqual(patch, [
      {
        op: 'replace',
        path: '/spec/containers/0/image',
        value: `registry.example.com/signed/app:v1@${SIGNED_DIGEST}`,
      },
    ]);
  });

  test('unsigned image: denied with 403 under Enforce, allowed with a warning under Audit', async () => {
    const denied = await post('/validate', podReview('registry.example.com/team/app:v1', 'uid-unsigned'));
    assert.equal(denied.response.allowed, false);
    assert.equal(denied.response.status?.code, 403);
    assert.match(denied.response.status?.message ?? '', /no signatures found/);
    assert.equal(denied.response.patch, undefined);

    mode.enforce = false;
    policy.generation++; // a policy change: the cached Enforce decision must not be reused
    const audited = await post('/validate', podReview('registry.example.com/team/app:v1', 'uid-audit'));
    mode.enforce = true;
    policy.generation++;
    assert.equal(audited.response.allowed, true);
    assert.match(audited.response.warnings?.[0] ?? '', /no signatures found/);
  });

  test('every fixture shape from the API server is accepted (CREATE/UPDATE Pod, Deployment, dryRun)', async () => {
    for (const name of ['create-pod.json', 'update-pod.json', 'create-deployment.json', 'dryrun-pod.json']) {
      const review = fixture(name) as { request: { uid: string } };
      const answer = await post('/validate/fail', review);
      assert.equal(answer.response.uid, review.request.uid, name);
      assert.equal(answer.response.allowed, false, `${name}: its images are unsigned`);
    }
  });

  test('garbage bodies are answered 400 with the reason', async () => {
    const notJson = await call(port, tls.cert, 'POST', '/validate', '{not json');
    assert.equal(notJson.status, 400);
    const wrongKind = await call(
      port,
      tls.cert,
      'POST',
      '/validate',
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }),
    );
    assert.equal(wrongKind.status, 400);
    assert.match(wrongKind.body, /invalid AdmissionReview at apiVersion/);
    const noUid = podReview('x') as { request: Record<string, unknown> };
    delete noUid.request.uid;
    const missing = await call(port, tls.cert, 'POST', '/validate', JSON.stringify(noUid));
    assert.equal(missing.status, 400);
    assert.match(missing.body, /request\.uid/);
  });

  test('unreachable registry: Fail denies with the reason, Ignore allows with a warning', async () => {
    const image = 'registry.example.com/unreachable/app:v1';
    const failed = await post('/validate/fail', podReview(image));
    assert.equal(failed.response.allowed, false);
    assert.match(failed.response.status?.message ?? '', /failurePolicy Fail.*unreachable/);
    const ignored = await post('/validate/ignore', podReview(image));
    assert.equal(ignored.response.allowed, true);
    assert.match(ignored.response.warnings?.[0] ?? '', /failurePolicy Ignore.*unreachable/);
    // A bare name: the API server prefixes the webhook's name (validate.sigil.dev/admission-error).
    assert.ok(ignored.response.auditAnnotations?.['admission-error']);
  });

  test('deadline from ?timeout= aborts the evaluation and applies the failurePolicy', async () => {
    mode.hang = true;
    try {
      const answer = await post(
        '/validate/fail?timeout=1s',
        podReview('registry.example.com/signed/slow:v1'),
      );
      assert.equal(answer.response.allowed, false);
      assert.match(answer.response.status?.message ?? '', /no decision within/);
    } finally {
      mode.hang = false;
    }
    // the failure was not cached: the same request decides normally now
    const retried = await post('/validate/fail?timeout=1s', podReview('registry.example.com/signed/slow:v1'));
    assert.equal(retried.response.allowed, true);
  });

  test('a repeated request is answered from the cache without calling the engine', async () => {
    const review = podReview('registry.example.com/signed/cached:v1', 'uid-a');
    await post('/mutate', review);
    const before = mode.calls;
    const again = await post('/mutate', podReview('registry.example.com/signed/cached:v1', 'uid-b'));
    assert.equal(mode.calls, before);
    assert.equal(again.response.uid, 'uid-b');
    assert.equal(again.response.allowed, true);
  });

  test('health, readiness and metrics', async () => {
    assert.equal((await call(port, tls.cert, 'GET', '/healthz')).status, 200);
    assert.equal((await call(port, tls.cert, 'GET', '/health/liveness')).status, 200);
    assert.equal((await call(port, tls.cert, 'GET', '/readyz')).status, 200);
    policy.error = 'policies/bad.yaml: spec.rules[0]: expected array';
    const notReady = await call(port, tls.cert, 'GET', '/health/readiness');
    policy.error = undefined;
    assert.equal(notReady.status, 503);
    assert.match(notReady.body, /bad\.yaml/);
    const metrics = await call(port, tls.cert, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /sigil_admission_decisions_total\{endpoint="validate",result="denied"\} \d+/);
    assert.match(metrics.body, /sigil_admission_cache_lookups_total\{result="hit"\} \d+/);
    assert.match(metrics.body, /sigil_admission_review_duration_seconds_bucket/);
  });
});

describe('TLS secret directory and decision log', () => {
  test('reads tls.crt and tls.key from a mounted secret, naming a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigil-secret-'));
    try {
      const pair = selfSignedCertificate();
      writeFileSync(join(dir, 'tls.crt'), pair.cert);
      assert.throws(() => readTlsDirectory(dir), /TLS secret key .*tls\.key: no such file/);
      writeFileSync(join(dir, 'tls.key'), pair.key);
      assert.equal(readTlsDirectory(dir).cert.toString(), pair.cert);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every decision is logged as one JSON line with uid, namespace, kind, name, decision and latency', async () => {
    const lines: string[] = [];
    const { app, handlers } = createAdmissionServer({
      tls: selfSignedCertificate(),
      evaluate: async () => ({ allowed: false, message: 'unsigned', warnings: [] }),
      policyState: () => ({ generation: 1 }),
      logger: { level: 'info', stream: { write: (line) => lines.push(line) } },
    });
    try {
      await handlers.Fail.review(fixture('create-deployment.json'), 'validate');
      const entry = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((e) => e.msg === 'admission decision');
      assert.ok(entry, lines.join(''));
      assert.equal(entry.uid, 'c0ffee00-1234-4abc-8def-001122334455');
      assert.equal(entry.namespace, 'shop');
      assert.equal(entry.kind, 'Deployment');
      assert.equal(entry.name, 'web');
      assert.equal(entry.decision, 'denied');
      assert.equal(typeof entry.latencyMs, 'number');
    } finally {
      await app.close();
    }
  });
});

describe('timeout parameter', () => {
  test('reads the API server forms and defaults to 10 s', () => {
    assert.equal(parseTimeoutParameter('10s'), 10_000);
    assert.equal(parseTimeoutParameter('2500ms'), 2500);
    assert.equal(parseTimeoutParameter(undefined), 10_000);
    assert.equal(parseTimeoutParameter('soon'), 10_000);
  });
});
