/**
 * What a Kyverno attestor entry says beside its trust, and the deprecated single-attestor form, on a real
 * (embedded) registry: `annotations` every signature must carry, `repository` where its signatures live,
 * and `key` / `annotations` written directly on the verifyImages entry (Kyverno's Convert), which must
 * verify rather than be dropped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { attestImage, signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { parseReference, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { type EvaluationOptions, evaluateResource, readPolicyDocument } from '../../src/policy/index.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest, verifyImagesPolicy } from '../helpers/kyverno-policy.js';

describe('attestor annotations and repository, and the deprecated verifyImages form', () => {
  let registry: RunningRegistry;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const signer = keySigner(key.privateKey);
  const pem = publicKeyPem(key.publicKey);
  const unlogged = { rekor: { ignoreTlog: true } };
  const options: EvaluationOptions = { client, endpoint: 'mutate' };
  let annotated: string;
  let elsewhere: string;
  let unsigned: string;

  const push = (name: string) => pushTeamImage(client, registry, name);
  const decide = (image: string, entry: Record<string, unknown>) =>
    evaluateResource(
      podRequest([image]),
      verifyImagesPolicy('options', [{ imageReferences: ['*'], attestors: [{ entries: [entry] }] }]),
      options,
    );

  before(async () => {
    registry = await startTestRegistry();
    annotated = await push('annotated');
    await signImage({ client, signer, image: parseReference(annotated), annotations: { env: 'prod' } });
    elsewhere = await push('elsewhere');
    process.env.COSIGN_REPOSITORY = `${registry.address}/signatures`;
    try {
      await signImage({ client, signer, image: parseReference(elsewhere) });
    } finally {
      delete process.env.COSIGN_REPOSITORY;
    }
    unsigned = await push('unsigned');
    await attestImage({
      client,
      signer,
      image: parseReference(annotated),
      type: 'vuln',
      predicate: Buffer.from(JSON.stringify({ scanner: { result: { summary: { criticalCount: 0 } } } })),
      predicateSource: 'scan',
    });
  });
  after(() => registry.close());

  it('annotations: every signature must carry them', async () => {
    const keys = { publicKeys: pem, ...unlogged };
    assert.equal((await decide(annotated, { keys, annotations: { env: 'prod' } })).allowed, true);
    const wrong = await decide(annotated, { keys, annotations: { env: 'dev' } });
    assert.equal(wrong.allowed, false);
    assert.match(wrong.message ?? '', /env/);
    assert.equal(
      (
        await decide(elsewhere, {
          keys,
          annotations: { env: 'prod' },
          repository: `${registry.address}/signatures`,
        })
      ).allowed,
      false,
    );
  });

  it("repository: the attestor's signatures are read there", async () => {
    const keys = { publicKeys: pem, ...unlogged };
    const found = await decide(elsewhere, { keys, repository: `${registry.address}/signatures` });
    assert.equal(found.allowed, true, found.message);
    const missing = await decide(elsewhere, { keys });
    assert.equal(missing.allowed, false);
    assert.match(missing.message ?? '', /no signatures found/);
  });

  it('the deprecated key and annotations on the verifyImages entry verify as an attestor', async () => {
    const legacy = verifyImagesPolicy('legacy', [{ image: `${registry.address}/team/*`, key: pem }]);
    // A deprecated entry cannot say ignoreTlog, so without a trusted log key even a signed image is
    // refused, by the key attestor it became: it is checked, not dropped.
    for (const image of [annotated, unsigned]) {
      const outcome = await evaluateResource(podRequest([image]), legacy, options);
      assert.equal(outcome.allowed, false);
      assert.match(outcome.message ?? '', /no trusted transparency log key for this attestor/);
    }
    const policy = readPolicyDocument(
      {
        apiVersion: 'kyverno.io/v1',
        kind: 'ClusterPolicy',
        metadata: { name: 'legacy' },
        spec: {
          rules: [
            {
              name: 'r',
              match: { any: [{ resources: { kinds: ['Pod'] } }] },
              verifyImages: [
                {
                  image: '*',
                  mutateDigest: false,
                  key: pem,
                  annotations: { env: 'prod' },
                  attestations: [{ type: 'https://cosign.sigstore.dev/attestation/vuln/v1' }],
                },
              ],
            },
          ],
        },
      },
      'legacy.yaml',
    );
    const verification = policy.rules[0]?.verifyImages[0];
    assert.deepEqual(verification?.imageReferences, ['*']);
    assert.equal(verification?.attestors.length, 0, 'with attestations, the converted attestor goes there');
    const [set] = verification?.attestations[0]?.attestors ?? [];
    assert.deepEqual(
      set?.entries.map((e) => e.kind === 'key' && [e.publicKey.trim(), e.annotations]),
      [[pem.trim(), { env: 'prod' }]],
    );
  });

  it('attestations naming no attestor need a keyless signature under the trusted root, as in Kyverno', async () => {
    const entry = {
      imageReferences: ['*'],
      attestations: [
        {
          type: 'https://cosign.sigstore.dev/attestation/vuln/v1',
          conditions: [
            { all: [{ key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value: 0 }] },
          ],
        },
      ],
    };
    // The key-signed attestation is there and meets the condition, but no attestor vouches for its key.
    const outcome = await evaluateResource(
      podRequest([annotated]),
      verifyImagesPolicy('a', [entry]),
      options,
    );
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /keyless attestors need a trusted root/);
  });

  it('a key or root that does not parse is named by its place when the policy loads, and fails its images', async () => {
    const broken = '-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----';
    const policy = verifyImagesPolicy('broken', [
      {
        imageReferences: ['*'],
        attestors: [{ entries: [{ keys: { publicKeys: broken } }, { keyless: { roots: 'no PEM here' } }] }],
      },
    ]);
    const [loaded] = policy.policies;
    assert.deepEqual(
      loaded?.warnings.map((w) => w.split(': ').slice(0, 2).join(': ')),
      [
        'broken: spec.rules.0.verifyImages.0.attestors.0.entries.0.keys.publicKeys',
        'broken: spec.rules.0.verifyImages.0.attestors.0.entries.1.keyless.roots',
      ],
    );
    const outcome = await evaluateResource(podRequest([annotated]), policy, options);
    assert.equal(outcome.allowed, false);
    assert.match(
      outcome.message ?? '',
      /entries\.0\.keys\.publicKeys: PEM block "PUBLIC KEY" has an invalid base64 body/,
    );
  });

  it('a verifyImages validate block is refused when an image is checked, not ignored', async () => {
    const entry = {
      imageReferences: ['*'],
      attestors: [{ entries: [{ keys: { publicKeys: pem, ...unlogged } }] }],
      validate: { deny: { conditions: { any: [{ key: 'x', operator: 'Equals', value: 'x' }] } } },
    };
    const outcome = await evaluateResource(
      podRequest([annotated]),
      verifyImagesPolicy('v', [entry]),
      options,
    );
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /validate blocks \(deny conditions\) are not supported/);
  });
});
