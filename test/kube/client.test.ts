/**
 * The Kubernetes API client against a stand-in API server (test/kube/fake-api-server.ts; no real API
 * server can run here): connection from a kubeconfig (token, client certificate, CA data) or the in-cluster
 * service account, Secrets and Namespaces, server-side apply of reports, and the API's Status errors.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { isSigilError } from '../../src/core/index.js';
import { KubeClient, kubeconfigConnection, resolveKubeConnection } from '../../src/kube/index.js';
import { type FakeApiServer, startFakeApiServer, writeKubeconfig } from './fake-api-server.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

const SECRET_PATH = '/api/v1/namespaces/sigil-system/secrets/regcred';

describe('Kubernetes API client (stand-in API server)', () => {
  let api: FakeApiServer;
  let dir: string;
  let client: KubeClient;

  before(async () => {
    api = await startFakeApiServer({ forbiddenToken: 'restricted' });
    dir = await mkdtemp(join(tmpdir(), 'sigil-kube-'));
    const path = await writeKubeconfig(
      dir,
      api.url,
      { token: api.token },
      { 'certificate-authority-data': b64(api.cert) },
    );
    client = new KubeClient(kubeconfigConnection(path));
    api.put(SECRET_PATH, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: 'regcred', namespace: 'sigil-system' },
      data: { '.dockerconfigjson': b64('{"auths":{}}') },
    });
    api.put('/api/v1/namespaces/prod', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'prod', labels: { env: 'prod' } },
    });
  });
  after(() => api.close());

  it('reads a Secret with the bearer token over the cluster CA, in the context namespace', async () => {
    assert.equal(client.namespace, 'sigil-system');
    const secret = await client.getSecret(client.namespace, 'regcred');
    assert.equal(secret.type, 'kubernetes.io/dockerconfigjson');
    const request = api.requests.at(-1);
    assert.equal(request?.method, 'GET');
    assert.equal(request?.path, SECRET_PATH);
    assert.equal(request?.authorization, `Bearer ${api.token}`);
  });

  it('reads a Namespace and its labels', async () => {
    const ns = await client.getNamespace('prod');
    assert.deepEqual(ns.metadata.labels, { env: 'prod' });
  });

  it('server-side applies a PolicyReport as field manager sigil with force, taking over fields kubectl owned', async () => {
    const path = '/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/uid-1';
    api.put(path, {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'uid-1', namespace: 'default', resourceVersion: '1' },
    });
    const report = {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'uid-1', namespace: 'default' },
      results: [],
    };
    const applied = await client.apply(report);
    assert.equal(applied.metadata.name, 'uid-1');
    const request = api.requests.at(-1);
    assert.equal(request?.method, 'PATCH');
    assert.equal(request?.path, path);
    assert.equal(request?.contentType, 'application/apply-patch+yaml');
    assert.equal(request?.query.get('fieldManager'), 'sigil');
    assert.equal(request?.query.get('force'), 'true');
    assert.deepEqual(request?.body, report);
  });

  it('applies a ClusterPolicyReport at the cluster scope', async () => {
    await client.apply({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'ClusterPolicyReport',
      metadata: { name: 'uid-2' },
    });
    assert.equal(api.requests.at(-1)?.path, '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/uid-2');
    assert.ok(api.objects.has('/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/uid-2'));
  });

  it('turns Status answers into one-line errors: 404, 401, 403, 409', async () => {
    await assert.rejects(client.getSecret('sigil-system', 'missing'), (err) => {
      assert.ok(isSigilError(err, 'NOT_FOUND'));
      assert.equal(
        err.message,
        'Kubernetes API: GET /api/v1/namespaces/sigil-system/secrets/missing: 404 NotFound: secrets "missing" not found',
      );
      return true;
    });
    const wrong = new KubeClient({ ...client.connection, token: () => 'wrong' });
    await assert.rejects(wrong.getSecret('sigil-system', 'regcred'), (err) => {
      assert.ok(isSigilError(err, 'BAD_TOKEN'));
      assert.match(err.message, /401 Unauthorized: Unauthorized$/);
      return true;
    });
    const restricted = new KubeClient({ ...client.connection, token: () => 'restricted' });
    await assert.rejects(restricted.getSecret('sigil-system', 'regcred'), (err) => {
      assert.ok(isSigilError(err, 'SERVICE_ERROR'));
      assert.match(err.message, /403 Forbidden: .* is forbidden/);
      assert.match(err.hint ?? '', /RBAC/);
      return true;
    });
    const stale = {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'uid-1', namespace: 'default', resourceVersion: 'stale' },
    };
    await assert.rejects(client.apply(stale), /409 Conflict: the object has been modified/);
  });

  it('refuses kinds it does not know how to apply, and namespaced reports without a namespace', async () => {
    await assert.rejects(
      client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
      /applying ConfigMap objects is not supported/,
    );
    await assert.rejects(
      client.apply({ apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport', metadata: { name: 'x' } }),
      /PolicyReport x needs a namespace/,
    );
  });

  it('does not trust an API server whose CA the kubeconfig does not give', async () => {
    const path = await writeKubeconfig(dir, api.url, { token: api.token });
    await assert.rejects(new KubeClient(kubeconfigConnection(path)).getNamespace('prod'), (err) => {
      assert.ok(isSigilError(err, 'SERVICE_UNREACHABLE'));
      assert.match(
        err.message,
        /^Kubernetes API: GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/prod: .*certificate/,
      );
      return true;
    });
  });

  it('authenticates with client-certificate-data when the server asks for a client certificate', async () => {
    const mtls = await startFakeApiServer({ clientAuth: true });
    try {
      const withCert = await writeKubeconfig(
        dir,
        mtls.url,
        { 'client-certificate-data': b64(mtls.cert), 'client-key-data': b64(mtls.key) },
        { 'certificate-authority-data': b64(mtls.cert) },
      );
      mtls.put('/api/v1/namespaces/prod', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'prod' },
      });
      const ns = await new KubeClient(kubeconfigConnection(withCert)).getNamespace('prod');
      assert.equal(ns.metadata.name, 'prod');
      assert.equal(mtls.requests.at(-1)?.authorization, undefined);
      const withoutCert = await writeKubeconfig(
        dir,
        mtls.url,
        {},
        { 'certificate-authority-data': b64(mtls.cert) },
      );
      await assert.rejects(new KubeClient(kubeconfigConnection(withoutCert)).getNamespace('prod'), (err) =>
        isSigilError(err, 'SERVICE_UNREACHABLE'),
      );
    } finally {
      await mtls.close();
    }
  });

  it('uses the in-cluster service account, reading the token anew on each call (tokens rotate)', async () => {
    const sa = join(dir, 'serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'token'), 'old-token\n');
    await writeFile(join(sa, 'ca.crt'), api.cert);
    await writeFile(join(sa, 'namespace'), 'sigil-system');
    const port = new URL(api.url).port;
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port };
    const connection = resolveKubeConnection({ env, serviceAccountDir: sa });
    assert.ok(connection);
    assert.equal(connection.server, api.url);
    assert.equal(connection.namespace, 'sigil-system');
    const inCluster = new KubeClient(connection);
    await assert.rejects(inCluster.getSecret('sigil-system', 'regcred'), /401/);
    await writeFile(join(sa, 'token'), `${api.token}\n`);
    assert.equal((await inCluster.getSecret('sigil-system', 'regcred')).metadata.name, 'regcred');
  });

  it('chooses --kubeconfig over KUBECONFIG over ~/.kube/config (if asked) over the service account, and nothing when none is there', async () => {
    const a = await writeKubeconfig(dir, 'https://a.example:6443', { token: 't' });
    const b = await writeKubeconfig(dir, 'https://b.example:6443', { token: 't' });
    const env = {
      KUBECONFIG: `${b}:/nonexistent`,
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    assert.equal(resolveKubeConnection({ kubeconfig: a, env })?.server, 'https://a.example:6443');
    assert.equal(resolveKubeConnection({ env })?.server, 'https://b.example:6443');
    assert.equal(resolveKubeConnection({ env: {}, serviceAccountDir: join(dir, 'none') }), undefined);
    // ~/.kube/config comes after KUBECONFIG and before the service account, only when asked for (k8s:// keys).
    const home = join(dir, 'home');
    await mkdir(join(home, '.kube'), { recursive: true });
    await writeKubeconfig(join(home, '.kube'), 'https://home.example:6443', { token: 't' }, {}, 'config');
    const noServiceAccount = { serviceAccountDir: join(dir, 'none'), homeDir: home };
    assert.equal(resolveKubeConnection({ env: {}, ...noServiceAccount }), undefined);
    assert.equal(
      resolveKubeConnection({ env: {}, homeKubeconfig: true, ...noServiceAccount })?.server,
      'https://home.example:6443',
    );
    assert.equal(
      resolveKubeConnection({ env, homeKubeconfig: true, homeDir: home })?.server,
      'https://b.example:6443',
    );
    assert.equal(
      resolveKubeConnection({
        env: {},
        homeKubeconfig: true,
        homeDir: join(dir, 'none'),
        serviceAccountDir: join(dir, 'none'),
      }),
      undefined,
    );
    assert.throws(
      () =>
        resolveKubeConnection({
          env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' },
          serviceAccountDir: join(dir, 'none'),
        }),
      /service account token .*: no such file/,
    );
  });

  it('refuses kubeconfig features it does not implement, by name', async () => {
    const exec = await writeKubeconfig(dir, api.url, { exec: { command: 'aws' } });
    assert.throws(
      () => kubeconfigConnection(exec),
      (err) => {
        assert.ok(isSigilError(err, 'UNSUPPORTED'));
        assert.match(err.message, /context test\): user u: exec is not supported$/);
        return true;
      },
    );
    const files = await writeKubeconfig(
      dir,
      api.url,
      { token: 't' },
      { 'certificate-authority': '/etc/ca.crt' },
    );
    assert.throws(() => kubeconfigConnection(files), /cluster c: certificate-authority is not supported/);
    const half = await writeKubeconfig(dir, api.url, { 'client-certificate-data': b64('x') });
    assert.throws(
      () => kubeconfigConnection(half),
      /client-certificate-data and client-key-data go together/,
    );
    const noContext = join(dir, 'no-context');
    await writeFile(noContext, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [] }));
    assert.throws(() => kubeconfigConnection(noContext), /no-context: no current-context/);
    assert.throws(() => kubeconfigConnection(join(dir, 'absent')), /kubeconfig .*absent: no such file/);
  });
});
