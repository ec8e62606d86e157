/**
 * PolicyReports (wgpolicyk8s.io/v1alpha2) as Kyverno (1.10+) writes them: one report per resource, named by
 * the resource's UID, in its namespace (a ClusterPolicyReport for cluster-scoped resources), with the
 * resource as `scope` and as owner (so the report goes when the resource goes), a result per policy, rule
 * and image, and a summary of the counts.
 */
import type { PolicyResult, ResultStatus } from './evaluate.js';

export interface ReportedResource {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface PolicyReport {
  apiVersion: 'wgpolicyk8s.io/v1alpha2';
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  };
  /** The resource the report is about (set when its UID is known). */
  scope?: ReportedResource;
  results: {
    policy: string;
    rule: string;
    result: ResultStatus;
    message: string;
    scored: boolean;
    source: string;
    severity?: string;
    category?: string;
    resources: ReportedResource[];
    timestamp: { seconds: number; nanos: number };
  }[];
  summary: Record<ResultStatus, number>;
}

export function buildPolicyReport(
  resource: ReportedResource,
  results: PolicyResult[],
  now: Date = new Date(),
): PolicyReport {
  const seconds = Math.floor(now.getTime() / 1000);
  const summary: Record<ResultStatus, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result]++;
  const namespaced = resource.namespace !== undefined && resource.namespace !== '';
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: namespaced ? 'PolicyReport' : 'ClusterPolicyReport',
    metadata: {
      // Kyverno names reports after the resource they are about.
      name: resource.uid ?? `${resource.kind.toLowerCase()}-${resource.name}`,
      ...(namespaced ? { namespace: resource.namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'sigil' },
      ...(resource.uid
        ? {
            ownerReferences: [
              {
                apiVersion: resource.apiVersion,
                kind: resource.kind,
                name: resource.name,
                uid: resource.uid,
              },
            ],
          }
        : {}),
    },
    // Copies, not one shared object: YAML would print a shared object as an anchor and aliases.
    ...(resource.uid ? { scope: { ...resource } } : {}),
    results: results.map((r) => ({
      policy: r.policy,
      rule: r.rule,
      result: r.result,
      message: r.message,
      scored: true,
      source: r.source ?? 'sigil',
      ...(r.severity ? { severity: r.severity } : {}),
      ...(r.category ? { category: r.category } : {}),
      resources: [{ ...resource }],
      timestamp: { seconds, nanos: 0 },
    })),
    summary,
  };
}
