/**
 * One ImageValidatingPolicy against one request, as Kyverno's ivpol engine runs it: matchConstraints, then
 * matchConditions, the images (pod spec fields, or the policy's `images` expressions) filtered by
 * matchImageReferences, verifyDigest, then the validations in order: the first that is false fails the policy
 * with its message. Kyverno reports one result per policy, named after it. `required` (every matched image
 * verified by some policy of the review) is settled by the caller once every policy has run.
 */
import { messageOf, SigilError } from '../../core/index.js';
import { parseReference } from '../../oci/index.js';
import type { EvaluationOptions, JsonPatchOperation, PolicyResult } from '../evaluate.js';
import type { Policy } from '../model.js';
import { metadataOf, type ResourceRequest, resourceImages } from '../resource.js';
import type { TagResolver } from '../tag-resolution.js';
import type { CompiledImageValidation } from './compiled.js';
import { ivpolMatches } from './match.js';
import { ReviewCalls } from './passes.js';
import { imageFunctions, type RequiredEvidence } from './verify.js';

export interface IvpolOutcome {
  result: PolicyResult;
  /** Tags pinned to digests (mutateDigest), on the mutate endpoint. */
  patch: JsonPatchOperation[];
  /** Images the policy matched, for `required` once the review's evidence is complete. */
  matchedImages: string[];
}

export interface IvpolReview {
  request: ResourceRequest;
  options: EvaluationOptions;
  resolveTag: TagResolver;
  evidence: RequiredEvidence;
}

type Data = Record<string, unknown>;

export async function evaluateImageValidatingPolicy(
  policy: Policy,
  v: CompiledImageValidation,
  review: IvpolReview,
): Promise<IvpolOutcome | undefined> {
  const { request } = review;
  // JSON-mode policies check payloads, never admission requests (Kyverno filters them the same way).
  if (v.mode !== 'Kubernetes') return undefined;
  if (policy.namespace && request.namespace !== policy.namespace) return undefined;
  if (!ivpolMatches(v, policy.autogenControllers, request)) return undefined;
  const result = (status: PolicyResult['result'], message: string, rule = policy.name): PolicyResult => ({
    policy: policy.name,
    rule,
    result: status,
    message,
    source: 'KyvernoImageValidatingPolicy',
    ...(policy.severity ? { severity: policy.severity } : {}),
    ...(policy.category ? { category: policy.category } : {}),
  });
  const data = requestData(request);
  try {
    for (const condition of v.matchConditions) {
      if (condition.program.evaluate(data) !== true) return undefined;
    }
  } catch (err) {
    if (policy.failurePolicy === 'Ignore') return undefined;
    return {
      result: result('error', `failed to execute matching: ${messageOf(err)}`, 'match'),
      patch: [],
      matchedImages: [],
    };
  }
  try {
    return await validate(v, review, data, result);
  } catch (err) {
    return {
      result: result('error', `failed to evaluate policy: ${messageOf(err)}`, 'evaluation'),
      patch: [],
      matchedImages: [],
    };
  }
}

async function validate(
  v: CompiledImageValidation,
  review: IvpolReview,
  data: Data,
  result: (status: PolicyResult['result'], message: string) => PolicyResult,
): Promise<IvpolOutcome> {
  const { request, options } = review;
  const matches = async (image: string) => matchesImage(v, image);
  const patch: JsonPatchOperation[] = [];
  const images: Record<string, string[]> = {};
  const pinLater = options.endpoint === 'mutate' && v.mutateDigest;
  // The pod spec's images, by field (containers, initContainers, ephemeralContainers), as Kyverno extracts them.
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) images[field] = [];
  for (const target of resourceImages(request.kind.kind, request.object)) {
    if (!(await matches(target.image))) continue;
    const field = target.pointer.split('/').at(-3) ?? 'containers';
    let image = target.image;
    if (pinLater && !parseReference(image).digest) {
      const ref = parseReference(image);
      image = `${image}@${await review.resolveTag(options.client, ref)}`;
      patch.push({ op: 'replace', path: target.pointer, value: image });
    }
    images[field]?.push(image);
  }
  for (const extractor of v.images) {
    const extracted = extractor.program.evaluate(data);
    if (!Array.isArray(extracted) || extracted.some((i) => typeof i !== 'string')) {
      throw new SigilError('POLICY_VIOLATION', `images ${extractor.name}: expected a list of strings`);
    }
    const kept: string[] = [];
    for (const image of extracted as string[]) if (await matches(image)) kept.push(image);
    images[extractor.name] = kept;
  }
  const matchedImages = Object.values(images).flat();
  if (v.verifyDigest) {
    const undigested = matchedImages.find((i) => !parseReference(i).digest);
    if (undigested)
      return {
        result: result('fail', `image ${undigested} does not have a digest`),
        patch: [],
        matchedImages,
      };
  }
  const variables: Data = {};
  const scoped: Data = {
    ...data,
    images: new Map(Object.entries(images)),
    attestors: v.celAttestors,
    attestations: v.celAttestations,
    variables,
  };
  const calls = new ReviewCalls(imageFunctions(v, options, review.resolveTag, matches, review.evidence));
  for (const variable of v.variables)
    variables[variable.name] = await calls.evaluate(variable.program, scoped);
  for (const [i, validation] of v.validations.entries()) {
    if ((await calls.evaluate(validation.program, scoped)) === true) continue;
    const message = validation.messageExpression
      ? await messageOfExpression(calls.evaluate(validation.messageExpression, scoped))
      : validation.message || `CEL expression validation failed at index ${i}`;
    return { result: result('fail', message), patch: [], matchedImages };
  }
  for (const annotation of v.auditAnnotations) await calls.evaluate(annotation.program, scoped);
  return { result: result('pass', 'success'), patch, matchedImages };
}

/** A messageExpression's value, or Kyverno's words when it cannot be evaluated. */
async function messageOfExpression(value: Promise<unknown>): Promise<string> {
  try {
    const message = await value;
    return typeof message === 'string' ? message : 'failed to convert message expression to string';
  } catch (err) {
    return `failed to evaluate message expression: ${messageOf(err)}`;
  }
}

async function matchesImage(v: CompiledImageValidation, image: string): Promise<boolean> {
  if (v.matchImages.length === 0) return true;
  for (const m of v.matchImages) {
    if ('glob' in m ? m.glob.test(image) : m.program.evaluate({ ref: image }) === true) return true;
  }
  return false;
}

/** The variables every expression sees: the object, the request, the namespace (Kyverno's names). */
function requestData(request: ResourceRequest): Data {
  const meta = metadataOf(request.object);
  return {
    object: request.object ?? null,
    oldObject: null,
    request: {
      kind: request.kind,
      namespace: request.namespace ?? meta.namespace ?? '',
      name: request.name || meta.name || '',
      operation: request.operation,
      userInfo: request.userInfo ?? {},
    },
    namespaceObject: request.namespaceLabels
      ? { metadata: { name: request.namespace ?? '', labels: request.namespaceLabels } }
      : null,
  };
}
