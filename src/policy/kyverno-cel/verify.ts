/**
 * The image functions of one review for one policy: signatures and attestations verified through the
 * policy's attestors (tags resolved once per review, passes shared through the image verification cache),
 * the verified statements kept for extractPayload, and which images were verified, for `required`.
 */
import { messageOf, SigilError } from '../../core/index.js';
import { formatReference, type ImageReference, parseReference } from '../../oci/index.js';
import type { EvaluationOptions } from '../evaluate.js';
import type { Attestor } from '../model.js';
import type { TagResolver } from '../tag-resolution.js';
import {
  type SetOutcome,
  type Target,
  type VerifierContext,
  verifyAttestorSets,
} from '../verify-attestors.js';
import type { CompiledImageValidation } from './compiled.js';
import type { ImageFunctionScope } from './functions.js';

/** Per review: image → whether some verification of it passed (Kyverno's ImageVerificationResults). */
export type RequiredEvidence = Map<string, boolean>;

export function imageFunctions(
  v: CompiledImageValidation,
  options: EvaluationOptions,
  resolveTag: TagResolver,
  matches: (image: string) => Promise<boolean>,
  evidence: RequiredEvidence,
): ImageFunctionScope {
  const payloads = new Map<string, unknown>();
  const pinned = async (image: string): Promise<ImageReference> => {
    const ref = parseReference(image);
    return { ...ref, digest: await resolveTag(options.client, ref) };
  };
  const attestorsNamed = (names: string[]): Attestor[] =>
    names.map((name) => {
      const found = v.attestors.get(name);
      if (!found) throw new SigilError('POLICY_VIOLATION', `attestor not found in policy: ${name}`);
      return found.attestor;
    });
  const count = async (image: string, names: string[], target: Target, keep?: string): Promise<number> => {
    if (!(await matches(image))) return 0;
    const ref = await pinned(image);
    let verified = 0;
    for (const named of attestorsNamed(names)) {
      const attestor = target.kind === 'attestation' ? withLogRequired(named) : named;
      const outcome = await checkCached(attestor, ref, target, options);
      if (!outcome.passed) continue;
      verified++;
      // As Kyverno's ImageData: the last verified statement of the type is the payload.
      const last = outcome.attestations.at(-1);
      if (keep && last) payloads.set(keep, last.statement);
    }
    if (names.length > 0) evidence.set(image, (evidence.get(image) ?? false) || verified > 0);
    return verified;
  };
  const attestationNamed = (name: string) => {
    const found = v.attestations.get(name);
    if (!found) throw new SigilError('POLICY_VIOLATION', `attestation not found in policy: ${name}`);
    return found;
  };
  return {
    verifySignatures: (image, names) => count(image, names, { kind: 'signature' }),
    verifyAttestations: async (image, name, names) => {
      const attestation = attestationNamed(name);
      if (attestation.kind === 'referrer') {
        throw new SigilError(
          'UNSUPPORTED',
          `attestation ${name}: OCI referrer attestations are not supported`,
        );
      }
      return count(
        image,
        names,
        { kind: 'attestation', predicateType: attestation.type },
        `${image}\0${name}`,
      );
    },
    payload: async (image, name) => {
      attestationNamed(name);
      const payload = payloads.get(`${image}\0${name}`);
      if (payload === undefined) {
        throw new SigilError(
          'POLICY_VIOLATION',
          'failed to get payload: intoto attestation payload cannot be fetch before verifying intoto attestation',
        );
      }
      return payload;
    },
    imageData: async (image) => {
      const ref = await pinned(image);
      return {
        image,
        resolvedImage: formatReference(ref),
        registry: ref.registry,
        repository: ref.repository,
        tag: parseReference(image).tag ?? '',
        digest: ref.digest,
      };
    },
  };
}

const logRequired = new WeakMap<Attestor, Attestor>();

/**
 * Kyverno's ImageValidatingPolicy counts an attestation only when cosign verified its transparency log
 * entry (VerifyImageAttestations' bundleVerified), even when the attestor waives the log
 * (`insecureIgnoreTlog`): attestations are held to the log whatever the attestor says, as Kyverno holds
 * them. Image signatures keep the attestor's setting (Kyverno's signature check honours it).
 */
function withLogRequired(attestor: Attestor): Attestor {
  let required = logRequired.get(attestor);
  if (!required) {
    required =
      attestor.kind === 'nested'
        ? { kind: 'nested', set: { ...attestor.set, entries: attestor.set.entries.map(withLogRequired) } }
        : 'tlog' in attestor
          ? { ...attestor, tlog: { ...attestor.tlog, ignore: false } }
          : attestor;
    logRequired.set(attestor, required);
  }
  return required;
}

/**
 * One attestor against one image digest: the cosign layout (`.sig`/`.att`) first, then Sigstore bundles
 * attached as referrers, as Kyverno's verifier detects either. Passes are cached per attestor and target.
 */
function checkCached(
  attestor: Attestor,
  image: ImageReference,
  target: Target,
  options: EvaluationOptions,
): Promise<SetOutcome> {
  const check = async (): Promise<SetOutcome> => {
    const sets = [{ entries: [attestor] }];
    const classic = await verifyAttestorSets(sets, image, target, options);
    if (classic.passed) return classic;
    const bundles: VerifierContext = { ...options, sigstoreBundles: true };
    const viaBundles = await verifyAttestorSets(sets, image, target, bundles).catch((err: unknown) => ({
      passed: false,
      reason: messageOf(err),
      attestations: [],
    }));
    return viaBundles.passed ? viaBundles : classic;
  };
  const key = `${formatReference(image)}#${target.kind === 'signature' ? 'sig' : `att:${target.predicateType}`}`;
  return options.imageVerifyCache
    ? options.imageVerifyCache.run(attestor, key, check, (o) => o.passed)
    : check();
}
