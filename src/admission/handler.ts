/**
 * One AdmissionReview in, one response out: cache lookup first (no policy work on a hit), then the
 * evaluator under a deadline; when the evaluator cannot finish (timeout, registry or log unreachable)
 * the webhook's failurePolicy decides, as the API server would for an unreachable webhook.
 */
import { messageOf } from '../core/index.js';
import { metadataOf, resourceImages } from '../policy/index.js';
import type { DecisionCache } from './cache.js';
import type { AdmissionMetrics } from './metrics.js';
import type { AdmissionDecision, AdmissionRequestV1, AdmissionReviewResponse } from './review.js';
import { buildAdmissionResponse, parseAdmissionReview } from './review.js';

export type AdmissionEndpoint = 'mutate' | 'validate';
export type FailurePolicy = 'Fail' | 'Ignore';

/** Decides one request; must honour `signal` in every network call. Supplied by the policy engine. */
export type AdmissionEvaluator = (
  request: AdmissionRequestV1,
  endpoint: AdmissionEndpoint,
  signal: AbortSignal,
) => Promise<AdmissionDecision>;

export interface AdmissionHandlerOptions {
  evaluate: AdmissionEvaluator;
  /** Bumped on every policy reload; part of every cache key. */
  generation: () => number;
  cache: DecisionCache;
  cacheTtlSeconds: number;
  failurePolicy: FailurePolicy;
  metrics: AdmissionMetrics;
  /** Called once per answered review, e.g. for the structured decision log. */
  onDecision?: (event: DecisionEvent) => void;
}

export interface DecisionEvent {
  request: AdmissionRequestV1;
  endpoint: AdmissionEndpoint;
  decision: AdmissionDecision;
  latencyMs: number;
}

/** The API server's default webhook timeout, used when the request carries none. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Time kept back from the API server's timeout to write the answer before it gives up on us. */
const DEADLINE_MARGIN_MS = 500;

/** The API server appends `?timeout=10s` (the webhook's timeoutSeconds) to the webhook URL. */
export function parseTimeoutParameter(value: string | undefined): number {
  const match = value === undefined ? null : /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) return DEFAULT_TIMEOUT_MS;
  const amount = Number(match[1]);
  const unit = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000;
  return amount * unit;
}

/**
 * Requests that differ only in uid decide alike; anything a policy may match on is part of the key: kind,
 * namespace, operation, name, labels, annotations, the requesting user and groups, and the images.
 */
function cacheKey(request: AdmissionRequestV1, endpoint: AdmissionEndpoint, generation: number): string {
  const meta = metadataOf(request.object);
  return JSON.stringify([
    generation,
    endpoint,
    request.operation,
    request.kind.kind,
    request.namespace ?? '',
    request.name || meta.name || '',
    request.dryRun === true,
    request.userInfo.username ?? '',
    request.userInfo.groups ?? [],
    resourceImages(request.kind.kind, request.object).map((i) => i.image),
    meta.labels,
    meta.annotations,
  ]);
}

export class AdmissionHandler {
  constructor(private readonly options: AdmissionHandlerOptions) {}

  /** Throws SigilError BAD_INPUT for a body that is not an AdmissionReview v1 (the server answers 400). */
  async review(
    body: unknown,
    endpoint: AdmissionEndpoint,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<AdmissionReviewResponse> {
    const started = performance.now();
    const request = parseAdmissionReview(body);
    const decision = await this.decide(request, endpoint, timeoutMs);
    const { metrics } = this.options;
    metrics.decisions.inc({ endpoint, result: decision.allowed ? 'allowed' : 'denied' });
    const latencyMs = performance.now() - started;
    metrics.latency.observe({ endpoint }, latencyMs / 1000);
    this.options.onDecision?.({ request, endpoint, decision, latencyMs });
    return buildAdmissionResponse(request.uid, decision);
  }

  private async decide(
    request: AdmissionRequestV1,
    endpoint: AdmissionEndpoint,
    timeoutMs: number,
  ): Promise<AdmissionDecision> {
    const { cache, metrics } = this.options;
    const key = cacheKey(request, endpoint, this.options.generation());
    const cached = await cache.get(key);
    metrics.cacheLookups.inc({ result: cached ? 'hit' : 'miss' });
    if (cached) return cached;
    const decision = await this.evaluateWithDeadline(request, endpoint, timeoutMs);
    if (decision.cacheable) await cache.set(key, decision.value, this.options.cacheTtlSeconds);
    return decision.value;
  }

  /** Errors (incl. the deadline) never reach the cache: the next request retries them. */
  private async evaluateWithDeadline(
    request: AdmissionRequestV1,
    endpoint: AdmissionEndpoint,
    timeoutMs: number,
  ): Promise<{ value: AdmissionDecision; cacheable: boolean }> {
    const budget = Math.max(timeoutMs - DEADLINE_MARGIN_MS, timeoutMs / 2);
    // A timer cleared with the decision, not AbortSignal.timeout: at thousands of reviews a second, those
    // would each hold a timer (and a weak reference) for the whole budget after the answer has gone.
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = `no decision within ${Math.round(budget)} ms (webhook timeout ${timeoutMs} ms)`;
        controller.abort(new DOMException(reason, 'TimeoutError'));
        reject(new Error(reason));
      }, budget);
    });
    try {
      const value = await Promise.race([
        this.options.evaluate(request, endpoint, controller.signal),
        deadline,
      ]);
      return { value, cacheable: true };
    } catch (err) {
      this.options.metrics.decisions.inc({ endpoint, result: 'error' });
      return { value: this.failureDecision(messageOf(err)), cacheable: false };
    } finally {
      clearTimeout(timer);
    }
  }

  private failureDecision(reason: string): AdmissionDecision {
    if (this.options.failurePolicy === 'Fail') {
      return {
        allowed: false,
        message: `sigil admission could not decide (failurePolicy Fail): ${reason}`,
        warnings: [],
      };
    }
    return {
      allowed: true,
      warnings: [`sigil admission could not decide, allowed by failurePolicy Ignore: ${reason}`],
      // The API server records it as <webhook name>/<key> and drops keys that already hold a '/'.
      auditAnnotations: { 'admission-error': reason },
    };
  }
}
