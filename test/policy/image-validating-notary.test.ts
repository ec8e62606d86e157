/**
 * An ImageValidatingPolicy's notary attestor (`notary.certs`) verifies Notation signatures as Kyverno's
 * type: Notary does: JWS and COSE signatures chaining to the certificates pass, an image signed under
 * another root or not signed at all is refused, through verifyImageSignatures in CEL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePem } from '../../src/core/index.js';
import { RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { evaluateResource, readImageValidatingPolicy } from '../../src/policy/index.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest } from '../helpers/kyverno-policy.js';
import { type NotaryImages, pushNotaryImages } from '../helpers/notary-images.js';

describe('ImageValidatingPolicy: notary attestors', () => {
  let registry: RunningRegistry;
  const client = new RegistryClient({});
  let pushed: NotaryImages;

  before(async () => {
    registry = await startTestRegistry();
    pushed = await pushNotaryImages(client, registry);
  });
  after(() => registry.close());

  const decide = (image: string) => {
    const policy = readImageValidatingPolicy(
      {
        apiVersion: 'policies.kyverno.io/v1alpha1',
        kind: 'ImageValidatingPolicy',
        metadata: { name: 'notary' },
        spec: {
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
            ],
          },
          matchImageReferences: [{ glob: `${registry.address}/team/*` }],
          attestors: [
            {
              name: 'notary',
              notary: { certs: { value: encodePem('CERTIFICATE', pushed.trusted.rootDer) } },
            },
          ],
          validations: [
            {
              expression: 'images.containers.all(i, verifyImageSignatures(i, [attestors.notary]) > 0)',
              message: 'not signed by the trusted certificate',
            },
          ],
        },
      },
      'notary.yaml: document 1',
    );
    assert.deepEqual(policy.warnings, []);
    return evaluateResource(podRequest([image]), { policies: [policy] }, { client, endpoint: 'mutate' });
  };

  it('admits JWS and COSE Notation signatures chaining to the certificates', async () => {
    for (const image of [pushed.images.jws, pushed.images.cose]) {
      const outcome = await decide(image);
      assert.equal(outcome.allowed, true, outcome.results[0]?.message);
    }
  });

  it('refuses an image signed under another root, and an unsigned one', async () => {
    for (const image of [pushed.images.untrusted, pushed.images.unsigned]) {
      const outcome = await decide(image);
      assert.equal(outcome.allowed, false, image);
      assert.equal(outcome.results[0]?.message, 'not signed by the trusted certificate');
    }
  });
});
