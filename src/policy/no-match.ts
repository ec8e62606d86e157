/**
 * The policy-controller's `no-match-policy` (config-policy-controller): what happens to an image that no
 * ClusterImagePolicy matches, in a request its webhook reviews (a pod-spec resource in a namespace that
 * opted in). Its default is `deny`; `warn` admits with a warning, `allow` admits. It applies only when
 * ClusterImagePolicies are loaded: Kyverno policies leave unmatched images alone.
 */

import { selectsImage } from './image-patterns.js';
import { matchingRules } from './match.js';
import type { PolicySet } from './model.js';
import { podSpecPointer, type ResourceImage, type ResourceRequest } from './resource.js';
import { INCLUDE_LABEL } from './sigstore/read.js';

export type NoMatchPolicy = 'allow' | 'warn' | 'deny';
export const NO_MATCH_POLICIES: readonly NoMatchPolicy[] = ['allow', 'warn', 'deny'];

/** The images of the request the no-match policy governs: reviewed, yet matched by no ClusterImagePolicy. */
export function unmatchedImages(
  request: ResourceRequest,
  policySet: PolicySet,
  images: ResourceImage[],
): ResourceImage[] {
  const cips = policySet.policies.filter((p) => p.origin === 'ClusterImagePolicy');
  if (cips.length === 0 || podSpecPointer(request.kind.kind) === undefined) return [];
  // Without the namespace's labels (offline) the namespace is taken as opted in.
  if (request.namespaceLabels && request.namespaceLabels[INCLUDE_LABEL] !== 'true') return [];
  const verifications = cips.flatMap((p) =>
    matchingRules(p, request).flatMap(({ rule }) => rule.verifyImages),
  );
  return images.filter((i) => !verifications.some((v) => selectsImage(v, i.image)));
}
