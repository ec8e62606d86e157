/**
 * Which requests an ImageValidatingPolicy applies to: matchConstraints as the API server reads them
 * (resourceRules and excludeResourceRules by group, version, resource and operation; namespace and object
 * selectors), with Kyverno's autogen carrying a Pods policy to the pod controllers it names.
 */
import { labelsMatch } from '../match.js';
import { metadataOf, podSpecPointer, type ResourceRequest } from '../resource.js';
import type { CompiledImageValidation, ResourceRule } from './compiled.js';

/** Plural resource names as the API serves them, for the kinds admission sees most. */
const IRREGULAR_PLURALS: Readonly<Record<string, string>> = {
  Ingress: 'ingresses',
  NetworkPolicy: 'networkpolicies',
  PodSecurityPolicy: 'podsecuritypolicies',
  Endpoints: 'endpoints',
};

export function resourceOf(kind: string): string {
  return IRREGULAR_PLURALS[kind] ?? `${kind.toLowerCase()}s`;
}

/** Whether the policy applies, and as what: the request itself, or (autogen) the pod template of a controller. */
export function ivpolMatches(
  v: CompiledImageValidation,
  autogenControllers: string[],
  request: ResourceRequest,
): boolean {
  const meta = metadataOf(request.object);
  if (v.objectSelector && !labelsMatch(v.objectSelector, meta.labels)) return false;
  if (v.namespaceSelector && request.namespaceLabels) {
    if (!labelsMatch(v.namespaceSelector, request.namespaceLabels)) return false;
  }
  const name = request.name || meta.name || '';
  const as = (group: string, version: string, resource: string) =>
    v.resourceRules.some((r) => ruleMatches(r, group, version, resource, request.operation, name)) &&
    !v.excludeResourceRules.some((r) => ruleMatches(r, group, version, resource, request.operation, name));
  const { group, version, kind } = request.kind;
  if (as(group, version, resourceOf(kind))) return true;
  // Autogen: a policy for Pods checks the pod templates of the controllers it names.
  return (
    kind !== 'Pod' &&
    podSpecPointer(kind) !== undefined &&
    autogenControllers.includes(kind) &&
    as('', 'v1', 'pods')
  );
}

function ruleMatches(
  r: ResourceRule,
  group: string,
  version: string,
  resource: string,
  operation: string,
  name: string,
): boolean {
  const any = (list: string[], value: string) => list.includes('*') || list.includes(value);
  return (
    any(r.apiGroups, group) &&
    any(r.apiVersions, version) &&
    any(r.resources, resource) &&
    any(r.operations, operation) &&
    (r.resourceNames.length === 0 || r.resourceNames.includes(name))
  );
}
