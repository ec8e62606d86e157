/**
 * The webhook's evaluator on top of the policy engine: the current policy set (swapped on reload), the
 * engine's verdict as an AdmissionDecision, and its results handed to whoever writes PolicyReports.
 */
import {
  type EvaluationOptions,
  evaluateResource,
  type PolicyResult,
  type PolicySet,
  usesNamespaceSelector,
} from '../policy/index.js';
import type { AdmissionEvaluator } from './handler.js';
import type { AdmissionRequestV1 } from './review.js';

/** The labels of a namespace (from the Kubernetes API); a failure leaves the decision to the failurePolicy. */
export type NamespaceLabels = (namespace: string) => Promise<Record<string, string>>;

export function policyEvaluator(
  policies: () => PolicySet,
  context: Omit<EvaluationOptions, 'endpoint'>,
  onResults?: (request: AdmissionRequestV1, results: PolicyResult[]) => void,
  namespaceLabels?: NamespaceLabels,
): AdmissionEvaluator {
  return async (request, endpoint) => {
    const policySet = policies();
    const labels =
      namespaceLabels && request.namespace && usesNamespaceSelector(policySet)
        ? await namespaceLabels(request.namespace)
        : undefined;
    const outcome = await evaluateResource({ ...request, namespaceLabels: labels }, policySet, {
      ...context,
      endpoint,
    });
    if (outcome.results.length > 0) onResults?.(request, outcome.results);
    return {
      allowed: outcome.allowed,
      ...(outcome.message ? { message: outcome.message } : {}),
      ...(outcome.patch.length > 0 ? { patch: outcome.patch } : {}),
      warnings: outcome.warnings,
      ...(outcome.results.length > 0 ? { results: outcome.results } : {}),
    };
  };
}
