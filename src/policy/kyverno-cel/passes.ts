/**
 * Evaluating an ImageValidatingPolicy's expressions with the image functions, in passes. A pass evaluates
 * the expression synchronously; each image function call either finds its answer among those gathered in
 * this review, or is recorded as wanted and answered with a stand-in (every attestor verified, so that
 * quantifiers go on to the other images). The wanted calls are then made (verifications concurrently, then
 * payload reads, which need them) and the expression evaluated again. The pass that wants nothing is the
 * answer, computed from real results only. Answers are kept for the review, so every later expression of
 * the policy finds them.
 */
import { mapLimited } from '../../core/index.js';
import type { CelProgram } from '../cel/engine.js';
import { type CallBroker, type ImageFunctionScope, withBroker } from './functions.js';

/** Calls of one review made at once (a pod rarely has more images; registries see at most this many). */
const CONCURRENCY = 8;
/** Each pass answers every call the previous one wanted; a policy needing more passes is refused. */
const MAX_PASSES = 16;

type Answer = { value: unknown } | { error: unknown };

export class ReviewCalls {
  private readonly answers = new Map<string, Answer>();

  constructor(private readonly scope: ImageFunctionScope) {}

  async evaluate(program: CelProgram, variables: Record<string, unknown>): Promise<unknown> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const wanted = new Map<string, { order: 'verify' | 'read'; compute: () => Promise<unknown> }>();
      const broker: CallBroker = {
        scope: this.scope,
        answer: <T>(
          key: string,
          order: 'verify' | 'read',
          compute: () => Promise<T>,
          standIn: () => T,
        ): T => {
          const known = this.answers.get(key);
          if (known) {
            if ('error' in known) throw known.error;
            return known.value as T;
          }
          wanted.set(key, { order, compute });
          return standIn();
        },
      };
      let value: unknown;
      let failure: { error: unknown } | undefined;
      try {
        value = withBroker(broker, () => program.evaluate(variables));
      } catch (error) {
        failure = { error };
      }
      if (wanted.size === 0) {
        if (failure) throw failure.error;
        return value;
      }
      for (const order of ['verify', 'read'] as const) {
        const calls = [...wanted].filter(([, c]) => c.order === order);
        const answers = await mapLimited(calls, CONCURRENCY, async ([, c]) =>
          c.compute().then(
            (v): Answer => ({ value: v }),
            (error: unknown): Answer => ({ error }),
          ),
        );
        for (const [i, [key]] of calls.entries()) this.answers.set(key, answers[i] as Answer);
      }
    }
    throw new Error(`${program.source}: more than ${MAX_PASSES} evaluation passes`);
  }
}
