/**
 * Kyverno's `type: SigstoreBundle` on a real (embedded) registry: signatures and attestations are Sigstore
 * bundles attached as OCI 1.1 referrers (cosign v3's --new-bundle-format), and only those count; the
 * `.sig` of cosign's older layout does not, and `type: Cosign` does not read bundles.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COSIGN_SIGN_PREDICATE_TYPE, signImage, signImageBundle } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { predicateTypeFor } from '../../src/formats/index.js';
import { parseReference, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { type EvaluationOptions, evaluateResource } from '../../src/policy/index.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest, unloggedKeyVerification, verifyImagesPolicy } from '../helpers/kyverno-policy.js';

describe('verifyImages type: SigstoreBundle', () => {
  let registry: RunningRegistry;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const signer = keySigner(key.privateKey);
  let options: EvaluationOptions;
  let bundled: string;
  let legacy: string;

  const push = (name: string) => pushTeamImage(client, registry, name);
  const attach = (image: string, predicateType: string, predicate: unknown) =>
    signImageBundle({ client, signer, image: parseReference(image), predicateType, predicate, upload: true });

  before(async () => {
    registry = await startTestRegistry();
    options = { client, endpoint: 'mutate' };
    bundled = await push('bundled');
    await attach(bundled, COSIGN_SIGN_PREDICATE_TYPE, {});
    await attach(bundled, predicateTypeFor('vuln'), {
      scanner: { result: { summary: { criticalCount: 0 } } },
    });
    legacy = await push('legacy');
    await signImage({ client, signer, image: parseReference(legacy) });
  });
  after(() => registry.close());

  const policyOf = (type: string, extra: Record<string, unknown> = {}) =>
    verifyImagesPolicy('bundles', [
      unloggedKeyVerification(`${registry.address}/*`, key.publicKey, { type, ...extra }),
    ]);

  it('admits an image signed with a bundle referrer and pins its digest; Cosign does not read bundles', async () => {
    const outcome = await evaluateResource(podRequest([bundled]), policyOf('SigstoreBundle'), options);
    assert.equal(outcome.allowed, true, outcome.message);
    assert.match(String(outcome.patch[0]?.value), /@sha256:/);
    const cosign = await evaluateResource(podRequest([bundled]), policyOf('Cosign'), options);
    assert.equal(cosign.allowed, false);
    assert.match(cosign.message ?? '', /no signatures found/);
  });

  it('denies an image with only a .sig signature', async () => {
    const outcome = await evaluateResource(podRequest([legacy]), policyOf('SigstoreBundle'), options);
    assert.equal(outcome.allowed, false);
    assert.match(outcome.message ?? '', /no signatures found/);
  });

  it('checks attestation bundles and their conditions', async () => {
    const attestation = (value: number) => ({
      attestations: [
        {
          type: predicateTypeFor('vuln'),
          attestors: [
            { entries: [{ keys: { publicKeys: publicKeyPem(key.publicKey), rekor: { ignoreTlog: true } } }] },
          ],
          conditions: [
            { all: [{ key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value }] },
          ],
        },
      ],
    });
    const pass = await evaluateResource(
      podRequest([bundled]),
      policyOf('SigstoreBundle', attestation(0)),
      options,
    );
    assert.equal(pass.allowed, true, pass.message);
    const fail = await evaluateResource(
      podRequest([bundled]),
      policyOf('SigstoreBundle', attestation(1)),
      options,
    );
    assert.equal(fail.allowed, false);
    assert.match(fail.message ?? '', /does not meet the conditions/);
  });
});
