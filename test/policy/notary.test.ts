/**
 * Kyverno `type: Notary` in the policy engine, over Notation signatures sigil makes (JWS and COSE) in the
 * embedded registry: `certificates.cert` / `certChain`, `count`, mutateDigest and verifyDigest, attestations
 * attached as referrers of an artifactType and Notation-signed, with conditions over their content; and
 * each refusal with its reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePem } from '../../src/core/index.js';
import { parseReference, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { type EvaluationOptions, evaluateResource } from '../../src/policy/index.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest, verifyImagesPolicy } from '../helpers/kyverno-policy.js';
import { type NotaryImages, pushNotaryImages, SBOM_TYPE } from '../helpers/notary-images.js';
import type { TestPki } from '../helpers/notation-pki.js';

describe('Kyverno type: Notary', () => {
  let registry: RunningRegistry;
  const client = new RegistryClient({});
  let trusted: TestPki;
  let untrusted: TestPki;
  let images: NotaryImages['images'];
  let options: EvaluationOptions;
  const rootPem = (pki: TestPki) => encodePem('CERTIFICATE', pki.rootDer);

  before(async () => {
    registry = await startTestRegistry();
    ({ trusted, untrusted, images } = await pushNotaryImages(client, registry));
    options = { client, endpoint: 'mutate' };
  });
  after(() => registry.close());

  const notary = (entries: object[], extra: object = {}) => ({
    type: 'Notary',
    imageReferences: [`${registry.address}/*`],
    attestors: [{ entries }],
    ...extra,
  });
  const cert = (pki: TestPki) => ({ certificates: { cert: rootPem(pki) } });
  const decide = (image: string, verification: object) =>
    evaluateResource(podRequest([image]), verifyImagesPolicy('notary', [verification]), options);
  const denied = async (image: string, verification: object, reason: RegExp) => {
    const outcome = await decide(image, verification);
    assert.equal(outcome.allowed, false, `${image} should be denied`);
    assert.match(outcome.results[0]?.message ?? '', reason);
  };

  it('admits JWS and COSE signatures by the trusted certificate, and pins the digest', async () => {
    for (const name of ['jws', 'cose'] as const) {
      const image = images[name];
      const outcome = await decide(image, notary([cert(trusted)]));
      assert.equal(outcome.allowed, true, outcome.results[0]?.message);
      assert.equal(outcome.results[0]?.result, 'pass');
      const digest = await client.resolveDigest(parseReference(image));
      const pinned = outcome.patch.find((p) => p.path === '/spec/containers/0/image');
      assert.equal(pinned?.value, `${image}@${digest}`);
    }
  });

  it('cert and certChain together form the trust store', async () => {
    const leafAndRoot = {
      certificates: { cert: encodePem('CERTIFICATE', trusted.leafDer), certChain: rootPem(trusted) },
    };
    assert.equal((await decide(images.jws, notary([leafAndRoot]))).allowed, true);
    assert.equal(
      (await decide(images.jws, notary([{ certificates: { certChain: rootPem(trusted) } }]))).allowed,
      true,
    );
  });

  it('denies an unsigned image', async () => {
    await denied(images.unsigned, notary([cert(trusted)]), /no Notation signature is associated with/);
  });

  it('denies an image signed by a certificate the attestor does not trust', async () => {
    await denied(images.untrusted, notary([cert(trusted)]), /authenticity: .*trust/);
  });

  it('count: one of two entries is enough with count 1, not without', async () => {
    assert.equal((await decide(images.jws, notary([cert(untrusted), cert(trusted)]))).allowed, false);
    const one = {
      type: 'Notary',
      imageReferences: ['*'],
      attestors: [{ count: 1, entries: [cert(untrusted), cert(trusted)] }],
    };
    assert.equal((await decide(images.jws, one)).allowed, true);
  });

  it('refuses keys and keyless attestors under type Notary', async () => {
    await denied(
      images.jws,
      notary([{ keys: { publicKeys: rootPem(trusted) } }]),
      /keys attestors are not allowed for type Notary/,
    );
  });

  it('refuses a placeholder certificate', async () => {
    await denied(
      images.jws,
      notary([
        { certificates: { cert: '-----BEGIN CERTIFICATE-----\nMIIBxxxxxxxx\n-----END CERTIFICATE-----' } },
      ]),
      /certificate/,
    );
  });

  it('verifyDigest without mutateDigest denies a tag', async () => {
    await denied(
      images.jws,
      notary([cert(trusted)], { mutateDigest: false, verifyDigest: true }),
      /missing digest/,
    );
  });

  const attestation = (value: string, type = SBOM_TYPE, entries = [cert(trusted)]) => ({
    type: 'Notary',
    imageReferences: ['*'],
    attestations: [
      {
        type,
        attestors: [{ entries }],
        conditions: [
          { all: [{ key: '{{ components[].licenses[].expression }}', operator: 'AllIn', value: [value] }] },
        ],
      },
    ],
  });

  it('attestations: a signed attachment of the type passes when its content meets the conditions', async () => {
    const outcome = await decide(images.attested, attestation('GPL-3.0'));
    assert.equal(outcome.allowed, true, outcome.results[0]?.message);
  });

  it('attestations: content that fails the conditions is denied', async () => {
    await denied(images.attested, attestation('MIT'), /does not meet the conditions/);
  });

  it('attestations: no attachment of the type is denied', async () => {
    await denied(
      images.attested,
      attestation('GPL-3.0', 'vulnerability-scan'),
      /no matching attestations found for image .* with type vulnerability-scan/,
    );
  });

  it('attestations: an unsigned attachment, or one signed by an untrusted certificate, is denied', async () => {
    await denied(
      images['attested-unsigned'],
      attestation('GPL-3.0'),
      /no Notation signature is associated with/,
    );
    await denied(images['attested-untrusted'], attestation('GPL-3.0'), /authenticity/);
  });
});
