/**
 * The webhook's evaluator on top of the policy engine: the current policy set (swapped on reload), the
 * engine's verdict as an AdmissionDecision, and its results handed to whoever writes PolicyReports.
 */
import {
  type EvaluationOptions,
  evaluateResource,
  type PolicyResult,
  type PolicySet,
} from '../policy/index.js';
import type { AdmissionEvaluator } from './handler.js';
import type { AdmissionRequestV1 } from './review.js';

export function policyEvaluator(
  policies: () => PolicySet,
  context: Omit<EvaluationOptions, 'endpoint'>,
  onResults?: (request: AdmissionRequestV1, results: PolicyResult[]) => void,
): AdmissionEvaluator {
  return async (request, endpoint) => {
    const outcome = await evaluateResource(request, policies(), { ...context, endpoint });
    if (outcome.results.length > 0) onResults?.(request, outcome.results);
    return {
      allowed: outcome.allowed,
      ...(outcome.message ? { message: outcome.message } : {}),
      ...(outcome.patch.length > 0 ? { patch: outcome.patch } : {}),
      warnings: outcome.warnings,
    };
  };
}
