/**
 * ImageValidatingPolicies on the engine, over an embedded registry with one signed and one unsigned image:
 * validationActions (Deny, Audit, Warn), messages, `required`, `verifyDigest` and `mutateDigest` on each
 * endpoint, matchConstraints and matchConditions, autogen for pod controllers, namespaced policies, JSON-mode
 * policies, failurePolicy on evaluation errors, and what loads with a warning and fails closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { parseReference, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import {
  type EvaluationOptions,
  evaluateResource,
  type ResourceRequest,
  readImageValidatingPolicy,
} from '../../src/policy/index.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';
import { deploymentRequest, podRequest } from '../helpers/kyverno-policy.js';

type Json = Record<string, unknown>;

describe('ImageValidatingPolicy on the engine', () => {
  let registry: RunningRegistry;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const mutate: EvaluationOptions = { client, endpoint: 'mutate' };
  const validate: EvaluationOptions = { client, endpoint: 'validate' };
  let signed: string;
  let unsigned: string;

  before(async () => {
    registry = await startTestRegistry();
    signed = await pushTeamImage(client, registry, 'signed');
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(signed) });
    unsigned = await pushTeamImage(client, registry, 'unsigned');
  });
  after(() => registry.close());

  const policy = (spec: Json = {}, extra: Json = {}) =>
    readImageValidatingPolicy(
      {
        apiVersion: 'policies.kyverno.io/v1alpha1',
        kind: 'ImageValidatingPolicy',
        metadata: { name: 'check' },
        ...extra,
        spec: {
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
            ],
          },
          matchImageReferences: [{ glob: `${registry.address}/team/*` }],
          attestors: [
            {
              name: 'key',
              cosign: { key: { data: publicKeyPem(key.publicKey) }, ctlog: { insecureIgnoreTlog: true } },
            },
          ],
          validations: [
            {
              expression: 'images.containers.all(i, verifyImageSignatures(i, [attestors.key]) > 0)',
              message: 'not signed',
            },
          ],
          ...spec,
        },
      },
      'policy.yaml: document 1',
    );
  const decide = (spec: Json, request: ResourceRequest, options = mutate, extra: Json = {}) =>
    evaluateResource(request, { policies: [policy(spec, extra)] }, options);

  it('Deny: a signed image passes and is pinned; an unsigned one is refused with the message', async () => {
    const ok = await decide({}, podRequest([signed]));
    assert.equal(ok.allowed, true);
    assert.deepEqual(
      ok.results.map((r) => [r.policy, r.rule, r.result, r.message]),
      [['check', 'check', 'pass', 'success']],
    );
    assert.match(String(ok.patch[0]?.value), /@sha256:/);
    const refused = await decide({}, podRequest([unsigned]));
    assert.equal(refused.allowed, false);
    assert.match(refused.message ?? '', /check:\n {2}check: 'not signed'/);
  });

  it('every image of a pod, in nested comprehensions and across validations', async () => {
    const two = podRequest([signed, unsigned]);
    const nested = {
      validations: [
        {
          expression:
            '[images.containers, images.initContainers].all(l, l.all(i, verifyImageSignatures(i, [attestors.key]) > 0))',
          messageExpression:
            "images.containers.filter(i, verifyImageSignatures(i, [attestors.key]) == 0).map(i, image(i).repository()).join(', ')",
        },
      ],
    };
    const refused = await decide(nested, two);
    assert.equal(refused.allowed, false);
    assert.equal(refused.results[0]?.message, 'team/unsigned');
    assert.equal((await decide(nested, podRequest([signed, signed]))).allowed, true);
  });

  it('Audit admits and reports; Warn admits and warns', async () => {
    const audit = await decide({ validationActions: ['Audit'] }, podRequest([unsigned]));
    assert.equal(audit.allowed, true);
    assert.equal(audit.results[0]?.result, 'fail');
    assert.deepEqual(audit.warnings, []);
    const warn = await decide({ validationActions: ['Warn', 'Audit'] }, podRequest([unsigned]));
    assert.equal(warn.allowed, true);
    assert.deepEqual(warn.warnings, ['check: not signed']);
  });

  it('messageExpression and the default message', async () => {
    const expression = (message: Json) => ({
      validations: [
        { expression: 'images.containers.all(i, verifyImageSignatures(i, [attestors.key]) > 0)', ...message },
      ],
    });
    const byExpression = await decide(
      expression({ messageExpression: "'unsigned: ' + images.containers[0]" }),
      podRequest([unsigned]),
    );
    assert.match(byExpression.results[0]?.message ?? '', /^unsigned: .*team\/unsigned:v1@sha256:/);
    const byDefault = await decide(expression({}), podRequest([unsigned]));
    assert.equal(byDefault.results[0]?.message, 'CEL expression validation failed at index 0');
  });

  it('required: an image no verification function checked fails, unless required is false', async () => {
    const noCheck = { validations: [{ expression: 'true' }] };
    const required = await decide(noCheck, podRequest([signed]));
    assert.equal(required.allowed, false);
    assert.match(
      required.results[0]?.message ?? '',
      /is not verified: no policy performed a signature or attestation check on it/,
    );
    const notRequired = await decide(
      { ...noCheck, validationConfigurations: { required: false } },
      podRequest([signed]),
    );
    assert.equal(notRequired.allowed, true);
  });

  it('verifyDigest on the validate endpoint: a tag is refused; mutateDigest false keeps the tag', async () => {
    const tag = await decide({}, podRequest([signed]), validate);
    assert.equal(tag.allowed, false);
    assert.match(tag.results[0]?.message ?? '', /^image .*team\/signed:v1 does not have a digest$/);
    const unpinned = await decide(
      { validationConfigurations: { mutateDigest: false, verifyDigest: false } },
      podRequest([signed]),
    );
    assert.equal(unpinned.allowed, true);
    assert.deepEqual(unpinned.patch, []);
  });

  it('matchConstraints, matchConditions, matchImageReferences and namespaced policies select what is checked', async () => {
    const excluded = await decide(
      { matchConditions: [{ name: 'ns', expression: "request.namespace != 'default'" }] },
      podRequest([unsigned]),
    );
    assert.deepEqual(excluded.results, [], 'a false matchCondition: the policy does not apply');
    const otherImages = await decide(
      { matchImageReferences: [{ expression: "ref.startsWith('ghcr.io/')" }] },
      podRequest([unsigned]),
    );
    assert.equal(otherImages.allowed, true, 'no matched image: nothing to verify');
    const namespaced = {
      kind: 'NamespacedImageValidatingPolicy',
      metadata: { name: 'check', namespace: 'team' },
    };
    assert.deepEqual((await decide({}, podRequest([unsigned]), mutate, namespaced)).results, []);
    assert.equal((await decide({}, podRequest([unsigned], 'team'), mutate, namespaced)).allowed, false);
    const json = await decide({ evaluation: { mode: 'JSON' } }, podRequest([unsigned]));
    assert.deepEqual(json.results, [], 'JSON-mode policies never apply to admission requests');
  });

  it('autogen: a Pods policy checks the pod template of a Deployment', async () => {
    const outcome = await decide({}, deploymentRequest(unsigned));
    assert.equal(outcome.allowed, false);
    const none = await decide(
      { autogen: { podControllers: { controllers: [] } } },
      deploymentRequest(unsigned),
    );
    assert.deepEqual(none.results, []);
  });

  it('an evaluation error denies under failurePolicy Fail, not under Ignore', async () => {
    const broken = {
      validations: [
        {
          expression:
            "images.containers.all(i, verifyImageSignatures(i, [attestors.key]) > 0) && object.nope.x == 'a'",
        },
      ],
    };
    const fail = await decide(broken, podRequest([signed]));
    assert.equal(fail.allowed, false);
    assert.equal(fail.results[0]?.result, 'error');
    assert.match(fail.results[0]?.message ?? '', /^failed to evaluate policy: .*No such key: nope/);
    const ignore = await decide({ ...broken, failurePolicy: 'Ignore' }, podRequest([signed]));
    assert.equal(ignore.allowed, true);
  });

  it('what sigil cannot honour loads with a warning naming the field and fails closed', async () => {
    const notary = policy({
      attestors: [{ name: 'key', notary: { certs: { value: 'pem' }, tsaCerts: { value: 'pem' } } }],
    });
    assert.match(
      notary.warnings.join('\n'),
      /spec\.attestors\[0\]\.notary\.tsaCerts: notary TSA certificates are not supported/,
    );
    const outcome = await evaluateResource(podRequest([signed]), { policies: [notary] }, mutate);
    assert.equal(outcome.allowed, false);
    const kms = policy({ attestors: [{ name: 'key', cosign: { key: { kms: 'gitlab://project' } } }] });
    assert.match(
      kms.warnings.join('\n'),
      /spec\.attestors\[0\]\.cosign\.key\.kms: KMS keys of this scheme are not supported/,
    );
    // The KMS schemes sigil reads (awskms, gcpkms, azurekms, hashivault) load as KMS key attestors.
    const aws = policy({ attestors: [{ name: 'key', cosign: { key: { kms: 'awskms:///alias/x' } } }] });
    assert.deepEqual(aws.warnings, []);
  });

  it('compile errors name the policy file, the field and the column', () => {
    assert.throws(
      () => policy({ validations: [{ expression: 'images.containers.all(i, nope(i))' }] }),
      /^SigilError: policy\.yaml: document 1: spec\.validations\[0\]\.expression: column \d+: .*nope/,
    );
    assert.throws(
      () => policy({ matchImageReferences: [{}] }),
      /spec\.matchImageReferences\[0\]: either glob or expression must be set/,
    );
    assert.throws(
      () => policy({ validations: [] }),
      /validations and auditAnnotations may not both be empty/,
    );
  });
});
