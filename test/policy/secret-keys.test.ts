/**
 * Kyverno key attestors whose public key lives in a Kubernetes Secret (`publicKeys: k8s://ns/name`,
 * `secret: {namespace, name}`, `kms: k8s://ns/name`, all `cosign.pub` as cosign reads it), through the
 * webhook's verifier context against the stand-in API server and a real (embedded) registry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifierContext } from '../../src/cli/policy-context.js';
import { signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { type EvaluationOptions, evaluateResource } from '../../src/policy/index.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest, verifyImagesPolicy } from '../helpers/kyverno-policy.js';
import { suiteApiServer } from '../kube/fake-api-server.js';

describe('attestor keys in Kubernetes Secrets', () => {
  const server = suiteApiServer();
  let registry: RunningRegistry;
  let image: string;
  let withApi: EvaluationOptions;
  let withoutApi: EvaluationOptions;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const other = generateKeyPair('ecdsa-p256');

  const storeKey = (namespace: string, name: string, pem: string) =>
    server.api.put(`/api/v1/namespaces/${namespace}/secrets/${name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      data: { 'cosign.pub': Buffer.from(pem).toString('base64') },
    });

  before(async () => {
    registry = await startTestRegistry();
    image = `${registry.address}/team/app:v1`;
    await pushTestImage(client, parseReference(image), { files: { 'f.txt': 'app' } });
    await signImage({
      client: client,
      signer: keySigner(key.privateKey),
      image: parseReference(image),
    });
    storeKey('ci', 'signing', publicKeyPem(key.publicKey));
    storeKey('ci', 'other', publicKeyPem(other.publicKey));
    const opts = { allowInsecureRegistry: false };
    withApi = { ...verifierContext(opts, server.client), endpoint: 'mutate' };
    withoutApi = { ...verifierContext(opts), endpoint: 'mutate' };
  });
  after(() => registry.close());

  const decide = (keys: Record<string, unknown>, options: EvaluationOptions) =>
    evaluateResource(
      podRequest([image]),
      verifyImagesPolicy('secret-keys', [
        {
          imageReferences: ['*'],
          attestors: [{ entries: [{ keys: { ...keys, rekor: { ignoreTlog: true } } }] }],
        },
      ]),
      options,
    );

  it('publicKeys k8s://, secret and kms k8s:// all read cosign.pub of the Secret', async () => {
    for (const keys of [
      { publicKeys: 'k8s://ci/signing' },
      { secret: { namespace: 'ci', name: 'signing' } },
      { kms: 'k8s://ci/signing' },
    ]) {
      const outcome = await decide(keys, withApi);
      assert.equal(outcome.allowed, true, `${JSON.stringify(keys)}: ${outcome.message}`);
    }
  });

  it("another Secret's key, a missing Secret and no Kubernetes API are refused", async () => {
    const wrong = await decide({ publicKeys: 'k8s://ci/other' }, withApi);
    assert.equal(wrong.allowed, false);
    assert.match(wrong.message ?? '', /signature/i);
    const missing = await decide({ secret: { namespace: 'ci', name: 'nope' } }, withApi);
    assert.equal(missing.allowed, false);
    assert.match(missing.message ?? '', /k8s:\/\/ci\/nope: Secret nope not found in namespace ci/);
    const offline = await decide({ publicKeys: 'k8s://ci/signing' }, withoutApi);
    assert.equal(offline.allowed, false);
    assert.match(offline.message ?? '', /keys in Kubernetes Secrets need the Kubernetes API/);
  });
});
