/**
 * Policies that name a KMS key: Kyverno's `keys.kms` and the policy-controller's `key.kms` verify with the
 * KMS key's public key, fetched from the real local server (local-kms) once and cached; a cached key never
 * passes a signature made by another key, and an unreachable KMS denies (fails closed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifierContext } from '../../src/cli/policy-context.js';
import { signImage } from '../../src/cosign/index.js';
import {
  clearKmsKeyCache,
  createKmsKey,
  generateKeyPair,
  keySigner,
  kmsSigner,
} from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import {
  type EvaluationOptions,
  evaluateResource,
  readClusterImagePolicy,
  readImageValidatingPolicy,
} from '../../src/policy/index.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { type KmsServer, localKmsPeer, startLocalKms } from '../helpers/kms-servers.js';
import { podRequest, verifyImagesPolicy } from '../helpers/kyverno-policy.js';
import { freePort } from '../helpers/ports.js';

const peer = localKmsPeer();
const KEY = 'awskms:///alias/policy-key';

describe('policies with KMS keys (local-kms)', { skip: peer.skip }, () => {
  let server: KmsServer;
  let registry: RunningRegistry;
  let options: EvaluationOptions;
  let kmsSigned: string;
  let otherSigned: string;
  const saved = { ...process.env };
  const client = new RegistryClient({});

  const push = async (repo: string) => {
    const image = `${registry.address}/${repo}:v1`;
    await pushTestImage(client, parseReference(image), { files: { 'f.txt': repo } });
    return image;
  };
  const kyverno = (image: string, kms = KEY) =>
    evaluateResource(
      podRequest([image]),
      verifyImagesPolicy('kms-keys', [
        {
          imageReferences: ['*'],
          attestors: [{ entries: [{ keys: { kms, rekor: { ignoreTlog: true } } }] }],
        },
      ]),
      options,
    );
  const policyController = (image: string) =>
    evaluateResource(
      podRequest([image]),
      {
        policies: [
          readClusterImagePolicy(
            {
              apiVersion: 'policy.sigstore.dev/v1beta1',
              kind: 'ClusterImagePolicy',
              metadata: { name: 'kms' },
              spec: { images: [{ glob: `${registry.address}/**` }], authorities: [{ key: { kms: KEY } }] },
            },
            'kms.yaml: document 1',
          ),
        ],
      },
      options,
    );

  const imageValidating = (image: string) =>
    evaluateResource(
      podRequest([image]),
      {
        policies: [
          readImageValidatingPolicy(
            {
              apiVersion: 'policies.kyverno.io/v1alpha1',
              kind: 'ImageValidatingPolicy',
              metadata: { name: 'kms' },
              spec: {
                matchConstraints: {
                  resourceRules: [
                    { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
                  ],
                },
                attestors: [
                  { name: 'kms', cosign: { key: { kms: KEY }, ctlog: { insecureIgnoreTlog: true } } },
                ],
                validations: [
                  { expression: 'images.containers.all(i, verifyImageSignatures(i, [attestors.kms]) > 0)' },
                ],
              },
            },
            'kms-ivpol.yaml: document 1',
          ),
        ],
      },
      options,
    );

  before(async () => {
    server = await startLocalKms(peer.path);
    // The policy engine reads the KMS's credentials from its own environment, as Kyverno's pod does.
    Object.assign(process.env, server.env);
    registry = await startTestRegistry();
    await createKmsKey(KEY);
    kmsSigned = await push('team/kms-signed');
    await signImage({ client, signer: await kmsSigner(KEY), image: parseReference(kmsSigned) });
    otherSigned = await push('team/other-signed');
    await signImage({
      client,
      signer: keySigner(generateKeyPair('ecdsa-p256').privateKey),
      image: parseReference(otherSigned),
    });
    options = { ...verifierContext({ allowInsecureRegistry: false }), endpoint: 'mutate' };
    clearKmsKeyCache();
  });
  after(async () => {
    for (const name of Object.keys(server?.env ?? {})) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    clearKmsKeyCache();
    await registry?.close();
    await server?.stop();
  });

  it("Kyverno keys.kms, the policy-controller's key.kms and an ImageValidatingPolicy's cosign.key.kms admit what the KMS key signed", async () => {
    const kyvernoOutcome = await kyverno(kmsSigned);
    assert.equal(kyvernoOutcome.allowed, true, kyvernoOutcome.message);
    const cipOutcome = await policyController(kmsSigned);
    assert.equal(cipOutcome.allowed, true, cipOutcome.message);
    const celOutcome = await imageValidating(kmsSigned);
    assert.equal(celOutcome.allowed, true, celOutcome.results[0]?.message);
    assert.equal((await imageValidating(otherSigned)).allowed, false);
  });

  it('the cached KMS key never verifies a signature made by another key', async () => {
    assert.equal((await kyverno(kmsSigned)).allowed, true, 'the key is cached now');
    const outcome = await kyverno(otherSigned);
    assert.equal(outcome.allowed, false);
    assert.equal((await policyController(otherSigned)).allowed, false);
  });

  it('an unreachable KMS denies, naming the key (nothing cached from a failure)', async () => {
    clearKmsKeyCache();
    const endpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${await freePort()}`;
    try {
      const outcome = await kyverno(kmsSigned);
      assert.equal(outcome.allowed, false);
      assert.match(outcome.message ?? '', /awskms:\/\/\/alias\/policy-key: .*the KMS cannot be reached/);
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
    assert.equal((await kyverno(kmsSigned)).allowed, true, 'the next verification asks the KMS again');
  });
});
