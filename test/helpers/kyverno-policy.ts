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
  return {
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace,
    name: 'web',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace },
      spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
    },
  };
}
