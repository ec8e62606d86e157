/**
 * Kyverno's image verification CEL functions (kyverno pkg/cel/libs/imageverify), as cel-go declares them:
 *   verifyImageSignatures(image string, attestors list) int
 *   verifyAttestationSignatures(image string, attestation string, attestors list) int
 *   extractPayload(image string, attestation string) dyn
 *   getImageData(image string) dyn
 * Each counts the attestors that verified. They wait on registries, so they are async, and they reach the
 * review they serve through an AsyncLocalStorage: one environment serves every policy and review.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SigilError } from '../../core/index.js';
import type { CelEnvironment } from '../cel/engine.js';

/** What a review gives the functions: verification through the policy's attestors, and what it found. */
export interface ImageFunctionScope {
  /** The number of the named attestors that verify the image's signatures; 0 for images the policy does not match. */
  verifySignatures(image: string, attestors: string[]): Promise<number>;
  verifyAttestations(image: string, attestation: string, attestors: string[]): Promise<number>;
  /** The verified in-toto statement of that attestation (cosign's AttestationToPayloadJSON). */
  payload(image: string, attestation: string): Promise<unknown>;
  imageData(image: string): Promise<unknown>;
}

export const imageFunctionScope = new AsyncLocalStorage<ImageFunctionScope>();

function scope(): ImageFunctionScope {
  const current = imageFunctionScope.getStore();
  if (!current)
    throw new SigilError(
      'POLICY_VIOLATION',
      'image functions are only available while a policy is evaluated',
    );
  return current;
}

/** `attestors.<name>` values, by their name (Kyverno converts each to its Attestor type the same way). */
function attestorNames(list: unknown[]): string[] {
  return list.map((a) => {
    const name = a instanceof Map ? a.get('name') : (a as { name?: unknown } | null)?.name;
    if (typeof name !== 'string')
      throw new Error('type conversion error: an attestor must come from attestors.<name>');
    return name;
  });
}

export function registerImageFunctions(env: CelEnvironment): void {
  env
    .registerFunction(
      'verifyImageSignatures(string, list<dyn>): int',
      async (image: string, attestors: unknown[]) =>
        BigInt(await scope().verifySignatures(image, attestorNames(attestors))),
    )
    .registerFunction(
      'verifyAttestationSignatures(string, string, list<dyn>): int',
      async (image: string, attestation: string, attestors: unknown[]) =>
        BigInt(await scope().verifyAttestations(image, attestation, attestorNames(attestors))),
    )
    .registerFunction('extractPayload(string, string): dyn', (image: string, attestation: string) =>
      scope().payload(image, attestation),
    )
    .registerFunction('getImageData(string): dyn', (image: string) => scope().imageData(image));
}
