/**
 * cosign's `k8s://<namespace>/<secret>` key pairs against the stand-in API server: the reference grammar,
 * creating the immutable Secret, updating an existing one while keeping its other keys, refusing to change
 * an immutable one, and one-line errors for a missing Secret, a missing field, RBAC and no API at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KubeClient,
  type KubeSecret,
  parseKeySecretRef,
  readKeySecret,
  writeKeyPairSecret,
} from '../../src/kube/index.js';
import { apiClient, suiteApiServer } from './fake-api-server.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const KEYS = {
  privateKeyPem:
    '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nBBBB\n-----END PUBLIC KEY-----\n',
  password: 'pw',
};
const secretPath = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/secrets/${name}`;

describe('k8s:// key references', () => {
  it('are exactly k8s://<namespace>/<secret>, both parts non-empty', () => {
    assert.deepEqual(parseKeySecretRef('k8s://ci/cosign-keys'), { namespace: 'ci', name: 'cosign-keys' });
    for (const ref of ['k8s://ci', 'k8s://ci/', 'k8s:///keys', 'k8s://ci/keys/extra', 'ci/keys', 'k8s://']) {
      assert.throws(() => parseKeySecretRef(ref), {
        code: 'BAD_REFERENCE',
        message: `${ref}: kubernetes specification should be in the format k8s://<namespace>/<secret>`,
      });
    }
  });
});

describe('key pairs in Secrets (stand-in API server)', () => {
  const server = suiteApiServer({ forbiddenToken: 'restricted' });

  it("creates an immutable Secret with cosign's three keys, and reads them back", async () => {
    const written = await writeKeyPairSecret(server.client, 'k8s://ci/keys', KEYS);
    assert.equal(written.metadata.name, 'keys');
    const post = server.api.requests.at(-1);
    assert.equal(post?.method, 'POST');
    assert.equal(post?.path, '/api/v1/namespaces/ci/secrets');
    assert.deepEqual(post?.body, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys', namespace: 'ci' },
      data: {
        'cosign.key': b64(KEYS.privateKeyPem),
        'cosign.pub': b64(KEYS.publicKeyPem),
        'cosign.password': b64('pw'),
      },
      immutable: true,
    });
    assert.deepEqual(await readKeySecret(server.client, 'k8s://ci/keys', ['publicKeyPem']), KEYS);
  });

  it('updates an existing Secret in place: other data keys and metadata stay, the three are replaced', async () => {
    const path = secretPath('ci', 'shared');
    server.api.put(path, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'shared', namespace: 'ci', resourceVersion: '7', labels: { team: 'a' } },
      data: { other: b64('kept'), 'cosign.pub': b64('old') },
    });
    await writeKeyPairSecret(server.client, 'k8s://ci/shared', KEYS);
    const put = server.api.requests.at(-1);
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, path);
    const body = put?.body as KubeSecret;
    assert.equal(body.metadata.resourceVersion, '7', 'the update is conditional on the version read');
    const stored = server.api.objects.get(path) as unknown as KubeSecret;
    assert.equal(stored.immutable, true);
    assert.equal(stored.type, 'Opaque');
    assert.deepEqual(stored.metadata.labels, { team: 'a' });
    assert.equal(stored.data?.other, b64('kept'));
    assert.equal(stored.data?.['cosign.pub'], b64(KEYS.publicKeyPem));
  });

  it('cannot change an immutable Secret, and says how to proceed', async () => {
    await assert.rejects(writeKeyPairSecret(server.client, 'k8s://ci/keys', { ...KEYS, password: 'new' }), {
      code: 'BAD_INPUT',
      message:
        'k8s://ci/keys: cannot update Secret keys in namespace ci: 422 Invalid: Secret "keys" is invalid: data: Forbidden: field is immutable when `immutable` is set',
      hint: /kubectl delete secret -n ci keys/,
    });
  });

  it('names the Secret, its namespace and the API answer when it is not there', async () => {
    await assert.rejects(readKeySecret(server.client, 'k8s://ci/missing'), {
      code: 'NOT_FOUND',
      message:
        'k8s://ci/missing: Secret missing not found in namespace ci (404 NotFound: secrets "missing" not found)',
    });
  });

  it('names the fields a Secret lacks; an empty password is a password', async () => {
    server.api.put(secretPath('ci', 'pub-only'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pub-only', namespace: 'ci' },
      data: { 'cosign.pub': b64(KEYS.publicKeyPem) },
    });
    assert.deepEqual(await readKeySecret(server.client, 'k8s://ci/pub-only'), {
      publicKeyPem: KEYS.publicKeyPem,
    });
    await assert.rejects(readKeySecret(server.client, 'k8s://ci/pub-only', ['privateKeyPem', 'password']), {
      code: 'BAD_KEY',
      message: 'k8s://ci/pub-only: Secret pub-only in namespace ci has no cosign.key, cosign.password',
    });
    server.api.put(secretPath('ci', 'empty-password'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'empty-password', namespace: 'ci' },
      data: { 'cosign.key': b64(KEYS.privateKeyPem), 'cosign.password': '' },
    });
    const read = await readKeySecret(server.client, 'k8s://ci/empty-password', ['privateKeyPem', 'password']);
    assert.equal(read.password, '');
  });

  it('passes on 403 with the RBAC hint, for reading and for writing', async () => {
    const restricted = apiClient(server.api, 'restricted');
    for (const attempt of [
      readKeySecret(restricted, 'k8s://ci/keys'),
      writeKeyPairSecret(restricted, 'k8s://ci/other', KEYS),
    ]) {
      await assert.rejects(attempt, {
        code: 'SERVICE_ERROR',
        message:
          /^k8s:\/\/ci\/(keys|other): cannot read Secret (keys|other) in namespace ci: 403 Forbidden: /,
        hint: /RBAC/,
      });
    }
  });

  it('prefixes errors that are not API answers (unreachable server) with the reference', async () => {
    const closed = new KubeClient({ ...server.client.connection, server: 'https://127.0.0.1:1' });
    await assert.rejects(readKeySecret(closed, 'k8s://ci/keys'), {
      code: 'SERVICE_UNREACHABLE',
      message: /^k8s:\/\/ci\/keys: Kubernetes API: GET https:\/\/127\.0\.0\.1:1\//,
    });
  });

  it('client: create of an existing Secret is 409 AlreadyExists, a stale replace 409 Conflict', async () => {
    const secret: KubeSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys', namespace: 'ci' },
    };
    await assert.rejects(server.client.createSecret(secret), {
      name: 'SigilError',
      status: 409,
      detail: 'AlreadyExists: secrets "keys" already exists',
    });
    const stale = { ...secret, metadata: { ...secret.metadata, resourceVersion: 'stale' } };
    await assert.rejects(
      server.client.replaceSecret(stale),
      /409 Conflict: Operation cannot be fulfilled on secrets "keys"/,
    );
    await assert.rejects(
      server.client.createSecret({ ...secret, metadata: { name: 'x' } }),
      /Secret x needs a namespace/,
    );
  });
});
