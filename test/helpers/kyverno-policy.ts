/** Kyverno policies built in code for engine tests and benchmarks: one Enforce rule on Pods. */
import type { KeyObject } from 'node:crypto';
import { publicKeyPem } from '../../src/crypto/index.js';
import { type PolicySet, type ResourceRequest, readPolicyDocument } from '../../src/policy/index.js';

/** A ClusterPolicy `name` (Enforce) whose rule `<name>-rule` matches Pods and has these verifyImages. */
export function verifyImagesPolicy(
  name: string,
  verifyImages: unknown,
  extra: Record<string, unknown> = {},
): PolicySet {
  return {
    policies: [
      readPolicyDocument(
        {
          apiVersion: 'kyverno.io/v1',
          kind: 'ClusterPolicy',
          metadata: { name },
          spec: {
            validationFailureAction: 'Enforce',
            rules: [
              {
                name: `${name}-rule`,
                match: { any: [{ resources: { kinds: ['Pod'] } }] },
                verifyImages,
                ...extra,
              },
            ],
          },
        },
        name,
      ),
    ],
  };
}

/** A verifyImages entry: images matching `pattern` signed by `key`, no log entry required. */
export function unloggedKeyVerification(
  pattern: string,
  key: KeyObject,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    imageReferences: [pattern],
    attestors: [{ entries: [{ keys: { publicKeys: publicKeyPem(key), rekor: { ignoreTlog: true } } }] }],
    ...extra,
  };
}

/** A Pod named `web` creating containers c0, c1, ... with these images, as the engine sees a review. */
export function podRequest(images: string[], namespace = 'default'): ResourceRequest {
  const containers = images.map((image, i) => ({ name: `c${i}`, image }));
  return createRequest('', 'v1', 'Pod', namespace, {
    metadata: { name: 'web', namespace },
    spec: { containers },
  });
}

/** A Deployment `web` whose pod template runs one container `a` with `image`, as the engine sees a review. */
export function deploymentRequest(
  image: string,
  namespace = 'default',
  labels: Record<string, string> = {},
): ResourceRequest {
  const template = { spec: { containers: [{ name: 'a', image }] } };
  return createRequest('apps', 'v1', 'Deployment', namespace, {
    metadata: { name: 'web', labels },
    spec: { template },
  });
}

/** The review of creating `web` of this kind, its object carrying apiVersion and kind as the API server's do. */
function createRequest(
  group: string,
  version: string,
  kind: string,
  namespace: string,
  object: Record<string, unknown>,
): ResourceRequest {
  return {
    kind: { group, version, kind },
    operation: 'CREATE',
    namespace,
    name: 'web',
    object: { apiVersion: group ? `${group}/${version}` : version, kind, ...object },
  };
}
