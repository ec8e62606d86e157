/**
 * verifyImages evaluation for one request: every policy rule that matches the resource verifies every image
 * its patterns select (signatures through the attestor sets, attestations with their conditions), and the
 * outcomes become a decision (Enforce denies on failure, Audit admits and reports), a JSON patch pinning
 * verified tags to their digests, and PolicyReport results.
 */
import { mapLimited, messageOf } from '../core/index.js';
import { formatReference, type ImageReference, parseReference } from '../oci/index.js';
import { evaluateConditions, wildcardMatch } from './conditions/index.js';
import { imageSelection } from './image-patterns.js';
import type { ImageVerifyCache } from './image-verify-cache.js';
import { evaluateImageValidatingPolicy, type IvpolOutcome } from './kyverno-cel/evaluate.js';
import type { RequiredEvidence } from './kyverno-cel/verify.js';
import { matchingRules } from './match.js';
import type { FailureAction, ImageVerification, Policy, PolicySet } from './model.js';
import { type NoMatchPolicy, unmatchedImages } from './no-match.js';
import { metadataOf, type ResourceImage, type ResourceRequest, resourceImages } from './resource.js';
import { reviewTagResolver, type TagResolutionCache, type TagResolver } from './tag-resolution.js';
import { isUnreachable, type VerifierContext, verifyAttestorSets } from './verify-attestors.js';

export type ResultStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface PolicyResult {
  policy: string;
  rule: string;
  result: ResultStatus;
  message: string;
  severity?: string;
  category?: string;
  image?: string;
  /** The report's `source` when Kyverno names one for the policy's kind (`KyvernoImageValidatingPolicy`). */
  source?: string;
}

export interface JsonPatchOperation {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

export interface EvaluationOutcome {
  allowed: boolean;
  /** Why the request was denied, naming policies, rules, images and failed checks (Kyverno's layout). */
  message?: string;
  patch: JsonPatchOperation[];
  warnings: string[];
  results: PolicyResult[];
  verifiedImages: { image: string; digest: string }[];
}

export interface EvaluationOptions extends VerifierContext {
  /** `validate` re-checks pinned digests (verifyDigest); `mutate` pins them (mutateDigest). */
  endpoint: 'mutate' | 'validate';
  /** Passing image verifications reused across requests (verifyImages with useCache, the default). */
  imageVerifyCache?: ImageVerifyCache;
  /** Tag resolutions reused across requests for a bounded freshness; without it each request resolves. */
  tagResolutionCache?: TagResolutionCache;
  /** Images no ClusterImagePolicy matches, when some are loaded: `deny` (the policy-controller's default). */
  noMatchPolicy?: NoMatchPolicy;
}

/** The name results of the no-match policy carry in place of a policy's (config-policy-controller's key). */
export const NO_MATCH_POLICY = 'no-match-policy';

export const VERIFY_IMAGES_ANNOTATION = 'kyverno.io/verify-images';

/** Kyverno's verifyImages types sigil verifies: cosign's `.sig`/`.att` layout, and bundles as referrers. */
const VERIFIER_TYPES = ['Cosign', 'SigstoreBundle', 'Notary'];

/** Images of one resource verified concurrently (a pod rarely has more; registries see at most this many). */
const IMAGE_CONCURRENCY = 8;

export async function evaluateResource(
  request: ResourceRequest,
  policySet: PolicySet,
  options: EvaluationOptions,
): Promise<EvaluationOutcome> {
  const results: PolicyResult[] = [];
  const patch: JsonPatchOperation[] = [];
  const warnings: string[] = [];
  const verified = new Map<string, string>();
  const blocked: string[] = [];
  const images = resourceImages(request.kind.kind, request.object);
  // One registry round trip per distinct image, however many containers, rules and policies name it.
  const resolveTag = reviewTagResolver(options.tagResolutionCache);
  const evidence: RequiredEvidence = new Map();
  const ivpolOutcomes: { policy: Policy; outcome: IvpolOutcome }[] = [];
  for (const policy of policySet.policies) {
    if (policy.imageValidation) {
      const review = { request, options, resolveTag, evidence };
      const outcome = await evaluateImageValidatingPolicy(policy, policy.imageValidation, review);
      if (outcome) ivpolOutcomes.push({ policy, outcome });
      continue;
    }
    for (const { rule, name } of matchingRules(policy, request)) {
      for (const verification of rule.verifyImages) {
        // The images of a pod are verified at once: each waits on its registry, not on the others.
        for (const skipped of images.filter((i) => imageSelection(verification, i.image) === 'skip')) {
          results.push({
            policy: policy.name,
            rule: name,
            result: 'skip',
            message: `image ${skipped.image} skipped: it matches skipImageReferences`,
            image: skipped.image,
          });
        }
        const targets = images.filter((i) => imageSelection(verification, i.image) === 'verify');
        const outcomes = await mapLimited(targets, IMAGE_CONCURRENCY, (t) =>
          verifyOne(verification, t, options, resolveTag),
        );
        for (const [i, target] of targets.entries()) {
          const result = outcomes[i] as Awaited<ReturnType<typeof verifyOne>>;
          const action = failureAction(policy, verification, request.namespace);
          results.push({
            policy: policy.name,
            rule: name,
            result: result.status,
            message: result.message,
            image: target.image,
            ...(policy.severity ? { severity: policy.severity } : {}),
            ...(policy.category ? { category: policy.category } : {}),
          });
          const denies =
            (result.status === 'fail' && action === 'Enforce') ||
            (result.status === 'error' && policy.failurePolicy === 'Fail');
          if (denies) blocked.push(`${policy.name}:\n  ${name}: '${result.message}'`);
          else if (result.status !== 'pass' && result.status !== 'skip')
            warnings.push(`${policy.name}/${name}: ${result.message}`);
          if (result.status === 'pass' && result.digest) {
            verified.set(target.image, result.digest);
            if (
              options.endpoint === 'mutate' &&
              verification.mutateDigest &&
              !parseReference(target.image).digest
            ) {
              patch.push({ op: 'replace', path: target.pointer, value: `${target.image}@${result.digest}` });
            }
          }
        }
      }
    }
  }
  // `required` is settled once every policy has run: the evidence may come from a later one (Kyverno).
  for (const { policy, outcome } of ivpolOutcomes) {
    const { result } = settleRequired(policy, outcome, evidence);
    results.push(result);
    const actions = policy.imageValidation?.validationActions ?? [];
    const denies =
      (result.result === 'fail' && actions.includes('Deny')) ||
      (result.result === 'error' && policy.failurePolicy === 'Fail' && actions.includes('Deny'));
    if (denies) blocked.push(`${policy.name}:\n  ${result.rule}: '${result.message}'`);
    else if (result.result === 'fail' && actions.includes('Warn'))
      warnings.push(`${policy.name}: ${result.message}`);
    else if (result.result === 'error') warnings.push(`${policy.name}/${result.rule}: ${result.message}`);
    if (result.result === 'pass') patch.push(...outcome.patch);
  }
  const noMatch = options.noMatchPolicy ?? 'deny';
  for (const target of noMatch === 'allow' ? [] : unmatchedImages(request, policySet, images)) {
    const message = `no matching policies for image ${target.image}`;
    results.push({
      policy: NO_MATCH_POLICY,
      rule: noMatch,
      result: noMatch === 'deny' ? 'fail' : 'warn',
      message,
      image: target.image,
    });
    if (noMatch === 'deny') blocked.push(`${NO_MATCH_POLICY}:\n  ${noMatch}: '${message}'`);
    else warnings.push(`${NO_MATCH_POLICY}: ${message}`);
  }
  if (verified.size > 0 && options.endpoint === 'mutate') patch.push(...annotationPatch(request, verified));
  const meta = metadataOf(request.object);
  const resource = `${request.kind.kind}/${request.namespace ?? meta.namespace ?? ''}/${request.name || meta.name || ''}`;
  return {
    allowed: blocked.length === 0,
    ...(blocked.length > 0
      ? {
          message: `resource ${resource} was blocked due to the following policies\n\n${blocked.join('\n\n')}`,
        }
      : {}),
    patch: blocked.length === 0 ? dedupe(patch) : [],
    warnings,
    results,
    verifiedImages: [...verified].map(([image, digest]) => ({ image, digest })),
  };
}

/** A passing ImageValidatingPolicy fails when one of its images was verified by no policy of the review. */
function settleRequired(policy: Policy, outcome: IvpolOutcome, evidence: RequiredEvidence): IvpolOutcome {
  if (outcome.result.result !== 'pass' || !policy.imageValidation?.required) return outcome;
  for (const image of outcome.matchedImages) {
    const verified = evidence.get(image);
    if (verified) continue;
    const message =
      verified === false
        ? `image ${image} failed signature or attestation verification`
        : `image ${image} is not verified: no policy performed a signature or attestation check on it`;
    return { ...outcome, result: { ...outcome.result, result: 'fail', message }, patch: [] };
  }
  return outcome;
}

function failureAction(
  policy: Policy,
  verification: ImageVerification,
  namespace: string | undefined,
): FailureAction {
  if (verification.failureAction) return verification.failureAction;
  const override = policy.failureActionOverrides.find((o) =>
    o.namespaces.some((n) => wildcardMatch(n, namespace ?? '')),
  );
  return override?.action ?? policy.failureAction;
}

interface ImageResult {
  status: ResultStatus;
  message: string;
  digest?: string;
}

async function verifyOne(
  verification: ImageVerification,
  target: ResourceImage,
  options: EvaluationOptions,
  resolveTag: TagResolver,
): Promise<ImageResult> {
  const failed = (why: string): ImageResult => ({
    status: 'fail',
    message: `image verification failed for ${target.image}: ${why}`,
  });
  if (!VERIFIER_TYPES.includes(verification.type)) {
    return {
      status: 'error',
      message: `cannot verify image ${target.image}: image verification of type ${verification.type} is not supported (only ${VERIFIER_TYPES.join(', ')})`,
    };
  }
  let image: ImageReference;
  try {
    image = parseReference(target.image);
  } catch (err) {
    return failed(messageOf(err));
  }
  // A tag the mutation will not pin (mutateDigest: false) fails verifyDigest now: Kyverno's validation
  // would refuse it right after (and its CLI reports it), so waiting for that second call admits nothing.
  const pinnedLater = options.endpoint === 'mutate' && verification.mutateDigest;
  if (verification.verifyDigest && !image.digest && !pinnedLater) {
    return failed(`missing digest for ${target.path}`);
  }
  if (verification.registryCredentials && !options.clientFor) {
    return {
      status: 'error',
      message: `cannot verify image ${target.image}: imageRegistryCredentials are not available here`,
    };
  }
  const context: VerifierContext = {
    ...options,
    ...(verification.registryCredentials && options.clientFor
      ? { client: options.clientFor(verification.registryCredentials) }
      : {}),
    ...(verification.repository ? { signatureRepository: verification.repository } : {}),
    ...(verification.type === 'SigstoreBundle' ? { sigstoreBundles: true } : {}),
    ...(verification.type === 'Notary' ? { notary: true } : {}),
  };
  try {
    const digest = await resolveTag(context.client, image);
    const pinned = { ...image, digest };
    const check = () => checkImage(verification, pinned, context);
    const outcome =
      options.imageVerifyCache && verification.useCache
        ? await options.imageVerifyCache.run(verification, formatReference(pinned), check, (c) => c.passed)
        : await check();
    if (outcome.passed) {
      return { status: 'pass', message: `verified image signatures for ${target.image}`, digest };
    }
    return failed(outcome.reason);
  } catch (err) {
    if (isUnreachable(err)) {
      return { status: 'error', message: `failed to verify image ${target.image}: ${messageOf(err)}` };
    }
    return failed(messageOf(err));
  }
}

/** What one image digest's check found. */
type ImageCheck = { passed: true } | { passed: false; reason: string };

/** The signatures and attestations of one image digest against one verifyImages entry. */
async function checkImage(
  verification: ImageVerification,
  image: ImageReference,
  context: VerifierContext,
): Promise<ImageCheck> {
  if (verification.attestors.length > 0) {
    const signatures = await verifyAttestorSets(
      verification.attestors,
      image,
      { kind: 'signature' },
      context,
    );
    if (!signatures.passed) return { passed: false, reason: signatures.reason };
  }
  for (const check of verification.attestations) {
    const verified = await verifyAttestorSets(
      check.attestors,
      image,
      { kind: 'attestation', predicateType: check.predicateType },
      context,
    );
    const failed = (reason: string): ImageCheck => ({ passed: false, reason });
    if (!verified.passed) return failed(`attestation ${check.predicateType}: ${verified.reason}`);
    if (verified.attestations.length === 0) {
      return failed(`attestation ${check.predicateType}: no verified attestation to check`);
    }
    for (const attestation of verified.attestations) {
      const outcome = evaluateConditions(check.conditions, attestation.predicate);
      if (!outcome.passed) {
        return failed(`attestation ${check.predicateType} does not meet the conditions: ${outcome.message}`);
      }
    }
  }
  return { passed: true };
}

/** Kyverno records verified images in an annotation (image → "pass") on the resource. */
function annotationPatch(request: ResourceRequest, verified: Map<string, string>): JsonPatchOperation[] {
  const value = JSON.stringify(
    Object.fromEntries(
      [...verified].map(([image, digest]) => [image.includes('@') ? image : `${image}@${digest}`, 'pass']),
    ),
  );
  // JSON Patch cannot add a member to an object that does not exist: create the annotations map then.
  if (!(request.object?.metadata as Record<string, unknown> | undefined)?.annotations) {
    return [{ op: 'add', path: '/metadata/annotations', value: { [VERIFY_IMAGES_ANNOTATION]: value } }];
  }
  return [
    {
      op: 'add',
      path: `/metadata/annotations/${VERIFY_IMAGES_ANNOTATION.replaceAll('~', '~0').replaceAll('/', '~1')}`,
      value,
    },
  ];
}

function dedupe(patch: JsonPatchOperation[]): JsonPatchOperation[] {
  const byPath = new Map(patch.map((p) => [p.path, p]));
  return [...byPath.values()];
}
