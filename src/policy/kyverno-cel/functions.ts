/**
 * Kyverno's image verification CEL functions (kyverno pkg/cel/libs/imageverify), as cel-go declares them:
 *   verifyImageSignatures(image string, attestors list) int
 *   verifyAttestationSignatures(image string, attestation string, attestors list) int
 *   extractPayload(image string, attestation string) dyn
 *   getImageData(image string) dyn
 * The first two count the attestors that verified. They wait on registries, yet CEL evaluates here
 * synchronously: each call is answered from the review's gathered results, or recorded as wanted with a
 * stand-in answer; passes.ts then gathers what was wanted and evaluates again, until nothing is missing.
 */
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

/** One evaluation pass: a call's gathered answer, or its stand-in once it is recorded as wanted. */
export interface CallBroker {
  answer<T>(key: string, order: 'verify' | 'read', compute: () => Promise<T>, standIn: () => T): T;
  scope: ImageFunctionScope;
}

/** Set for the duration of one synchronous evaluation (passes.ts); nothing can interleave with it. */
let broker: CallBroker | undefined;

export function withBroker<T>(current: CallBroker, evaluate: () => T): T {
  broker = current;
  try {
    return evaluate();
  } finally {
    broker = undefined;
  }
}

function active(): CallBroker {
  if (!broker) throw new Error('image functions are only available while a policy is evaluated');
  return broker;
}

/** `attestors.<name>` values, by their name (Kyverno converts each to its Attestor type the same way). */
function attestorNames(list: unknown[]): string[] {
  return list.map((a) => {
    const name = a instanceof Map ? a.get('name') : (a as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') {
      throw new Error('type conversion error: an attestor must come from attestors.<name>');
    }
    return name;
  });
}

/** Calls that count attestors stand in with every attestor verified, so that `all(...)` walks every image. */
const allVerified = (names: string[]) => () => BigInt(names.length);
const noStandIn = (): never => {
  throw new Error('not gathered yet');
};

export function registerImageFunctions(env: CelEnvironment): void {
  env
    .registerFunction(
      'verifyImageSignatures(string, list<dyn>): int',
      (image: string, attestors: unknown[]) => {
        const b = active();
        const names = attestorNames(attestors);
        const key = JSON.stringify(['sig', image, names]);
        return b.answer(
          key,
          'verify',
          async () => BigInt(await b.scope.verifySignatures(image, names)),
          allVerified(names),
        );
      },
    )
    .registerFunction(
      'verifyAttestationSignatures(string, string, list<dyn>): int',
      (image: string, attestation: string, attestors: unknown[]) => {
        const b = active();
        const names = attestorNames(attestors);
        const key = JSON.stringify(['att', image, attestation, names]);
        const compute = async () => BigInt(await b.scope.verifyAttestations(image, attestation, names));
        return b.answer(key, 'verify', compute, allVerified(names));
      },
    )
    .registerFunction('extractPayload(string, string): dyn', (image: string, attestation: string) => {
      const b = active();
      const key = JSON.stringify(['payload', image, attestation]);
      return b.answer(key, 'read', () => b.scope.payload(image, attestation), noStandIn);
    })
    .registerFunction('getImageData(string): dyn', (image: string) => {
      const b = active();
      return b.answer(JSON.stringify(['data', image]), 'read', () => b.scope.imageData(image), noStandIn);
    });
}
