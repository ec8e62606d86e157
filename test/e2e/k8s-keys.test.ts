/**
 * cosign's Kubernetes Secret keys through the `sigil` binary: `generate-key-pair k8s://ns/name` stores the
 * key pair in a Secret of the stand-in API server (reached by KUBECONFIG or ~/.kube/config), and `--key
 * k8s://ns/name` signs (key and password from the Secret, nothing prompted) and verifies (cosign.pub) blobs
 * and images. Failures are one line: missing Secret, malformed reference, no API, immutable Secret.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeSecret } from '../../src/kube/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { apiKubeconfig, type FakeApiServer, startFakeApiServer } from '../kube/fake-api-server.js';

const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

describe('sigil --key k8s://<namespace>/<secret>', () => {
  let api: FakeApiServer;
  let dir: string;
  /** KUBECONFIG only: no COSIGN_PASSWORD, so a key read from a Secret proves nothing was prompted. */
  let kube: Record<string, string>;
  const run = (args: string[], env: Record<string, string> = kube) => sigil(args, { cwd: dir, env });
  const signBlob = (key: string) => run(['sign-blob', '--key', key, '--tlog-upload=false', 'artifact.txt']);
  const verifyBlob = (key: string, env?: Record<string, string>) =>
    run(
      ['verify-blob', '--key', key, '--signature', 'artifact.sig', '--insecure-ignore-tlog', 'artifact.txt'],
      env,
    );

  before(async () => {
    api = await startFakeApiServer();
    dir = await workDir();
    kube = { KUBECONFIG: await apiKubeconfig(api, dir) };
    await writeFile(join(dir, 'artifact.txt'), 'release 1.0\n');
  });
  after(() => api.close());

  it('generate-key-pair stores the key pair in an immutable Secret and writes only cosign.pub', async () => {
    const result = await run(['generate-key-pair', 'k8s://ci/keys'], { ...kube, COSIGN_PASSWORD: 'pw' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Successfully created secret keys in namespace ci\n/);
    assert.match(result.stderr, /Public key written to cosign\.pub\n/);
    const secret = api.objects.get('/api/v1/namespaces/ci/secrets/keys') as unknown as KubeSecret;
    assert.equal(secret.immutable, true);
    assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['cosign.key', 'cosign.password', 'cosign.pub']);
    assert.equal(decode(secret.data?.['cosign.password']), 'pw');
    assert.match(decode(secret.data?.['cosign.key']), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    assert.equal(decode(secret.data?.['cosign.pub']), await readFile(join(dir, 'cosign.pub'), 'utf8'));
    await assert.rejects(readFile(join(dir, 'cosign.key')), /ENOENT/);
  });

  it('signs a blob with the Secret and verifies it with its public key; another Secret does not verify it', async () => {
    const signed = await signBlob('k8s://ci/keys');
    assert.equal(signed.code, 0, signed.stderr);
    await writeFile(join(dir, 'artifact.sig'), signed.stdout);
    const verified = await verifyBlob('k8s://ci/keys');
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stderr, /Verified OK/);
    const other = await run(['generate-key-pair', '--force', 'k8s://ci/other'], {
      ...kube,
      COSIGN_PASSWORD: 'other',
    });
    assert.equal(other.code, 0, other.stderr);
    const wrongKey = await verifyBlob('k8s://ci/other');
    assert.equal(wrongKey.code, 1);
    assert.match(errorLine(wrongKey), /invalid signature/);
  });

  it('finds the API through ~/.kube/config when KUBECONFIG is not set', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sigil-home-'));
    await mkdir(join(home, '.kube'));
    await apiKubeconfig(api, join(home, '.kube'), 'config');
    const verified = await verifyBlob('k8s://ci/keys', { HOME: home });
    assert.equal(verified.code, 0, verified.stderr);
  });

  it('fails with one line for a missing Secret, a malformed reference and no API', async () => {
    for (const result of [await signBlob('k8s://ci/nope'), await verifyBlob('k8s://ci/nope')]) {
      assert.notEqual(result.code, 0);
      assert.equal(
        errorLine(result),
        'Error: k8s://ci/nope: Secret nope not found in namespace ci (404 NotFound: secrets "nope" not found)',
      );
    }
    const malformed = await run(['generate-key-pair', 'k8s://ci'], { ...kube, COSIGN_PASSWORD: 'pw' });
    assert.notEqual(malformed.code, 0);
    assert.equal(
      errorLine(malformed),
      'Error: k8s://ci: kubernetes specification should be in the format k8s://<namespace>/<secret>',
    );
    const otherPlace = await run(['generate-key-pair', 'vault://keys'], { COSIGN_PASSWORD: 'pw' });
    assert.notEqual(otherPlace.code, 0);
    assert.match(errorLine(otherPlace), /only k8s:\/\/<namespace>\/<secret> is supported/);
    const noApi = await verifyBlob('k8s://ci/keys', {});
    assert.notEqual(noApi.code, 0);
    assert.equal(errorLine(noApi), 'Error: k8s://ci/keys: no Kubernetes API is configured');
    assert.match(noApi.stderr, /KUBECONFIG, create ~\/\.kube\/config, or run in a pod/);
  });

  it('will not regenerate into an immutable Secret, and says how to proceed', async () => {
    const again = await run(['generate-key-pair', '--force', 'k8s://ci/keys'], {
      ...kube,
      COSIGN_PASSWORD: 'pw',
    });
    assert.notEqual(again.code, 0);
    assert.match(
      errorLine(again),
      /^Error: k8s:\/\/ci\/keys: cannot update Secret keys in namespace ci: 422 Invalid: /,
    );
    assert.match(again.stderr, /kubectl delete secret -n ci keys/);
  });

  it('signs and verifies an image on the embedded registry', async () => {
    const registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await mkdtemp(join(tmpdir(), 'sigil-reg-')), 'data'),
    });
    try {
      const image = `${registry.address}/app:v1`;
      await pushTestImage(new RegistryClient({}), parseReference(image), { files: { 'file.txt': 'v1' } });
      const signed = await run(['sign', '--key', 'k8s://ci/keys', '--tlog-upload=false', image]);
      assert.equal(signed.code, 0, signed.stderr);
      const verified = await run(['verify', '--key', 'k8s://ci/keys', '--insecure-ignore-tlog', image]);
      assert.equal(verified.code, 0, verified.stderr);
      const wrongKey = await run(['verify', '--key', 'k8s://ci/other', '--insecure-ignore-tlog', image]);
      assert.equal(wrongKey.code, 1);
    } finally {
      await registry.close();
    }
  });
});
