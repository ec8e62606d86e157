/**
 * Kyverno's match / exclude: a rule applies when `match` selects the request and `exclude` does not.
 * `any` needs one block to select it, `all` every block; within a block every given field must hold.
 * Rules written for Pods also apply to pod controllers (autogen), under the names Kyverno gives them.
 */
import { wildcardMatch } from './conditions/index.js';
import type { LabelSelector, Policy, PolicySet, ResourceDescription, ResourceFilter, Rule } from './model.js';
import { metadataOf, podSpecPointer, type ResourceRequest } from './resource.js';

export interface MatchedRule {
  rule: Rule;
  /** The name reported: the rule's, or Kyverno's `autogen-` / `autogen-cronjob-` name for controllers. */
  name: string;
}

/** The policy's rules that apply to the request, with autogen names for pod controllers. */
export function matchingRules(policy: Policy, request: ResourceRequest): MatchedRule[] {
  if (policy.namespace && request.namespace !== policy.namespace) return [];
  const kind = request.kind.kind;
  const autogen =
    kind !== 'Pod' && podSpecPointer(kind) !== undefined && policy.autogenControllers.includes(kind);
  return policy.rules.flatMap((rule) => {
    if (selects(rule.match, request, kind) && !(rule.exclude && selects(rule.exclude, request, kind))) {
      return [{ rule, name: rule.name }];
    }
    // Autogen: a rule for Pods applies to the controller as if it were its pod template.
    if (
      autogen &&
      selects(rule.match, request, 'Pod') &&
      !(rule.exclude && selects(rule.exclude, request, 'Pod'))
    ) {
      return [{ rule, name: `${kind === 'CronJob' ? 'autogen-cronjob' : 'autogen'}-${rule.name}` }];
    }
    return [];
  });
}

/** Whether any rule selects by namespace labels, so that the caller knows to read them. */
export function usesNamespaceSelector(policySet: PolicySet): boolean {
  return policySet.policies.some((p) =>
    p.rules.some((r) =>
      [r.match, r.exclude].some((f) =>
        [...(f?.any ?? []), ...(f?.all ?? [])].some((d) => d.namespaceSelector !== undefined),
      ),
    ),
  );
}

function selects(filter: ResourceFilter, request: ResourceRequest, kind: string): boolean {
  const any = filter.any ?? [];
  const all = filter.all ?? [];
  if (any.length === 0 && all.length === 0) return false;
  return (
    (any.length === 0 || any.some((d) => describes(d, request, kind))) &&
    all.every((d) => describes(d, request, kind))
  );
}

function describes(d: ResourceDescription, request: ResourceRequest, kind: string): boolean {
  const meta = metadataOf(request.object);
  const name = request.name || meta.name || '';
  const namespace = request.namespace ?? meta.namespace ?? '';
  if (d.kinds && !d.kinds.some((k) => kindMatches(k, request.kind, kind))) return false;
  if (d.names && !d.names.some((n) => wildcardMatch(n, name))) return false;
  if (d.namespaces && !d.namespaces.some((n) => wildcardMatch(n, namespace))) return false;
  if (d.operations && !d.operations.includes(request.operation)) return false;
  if (
    d.annotations &&
    !Object.entries(d.annotations).every(([k, v]) => wildcardMatch(v, meta.annotations[k] ?? '\u0000'))
  ) {
    return false;
  }
  if (d.selector && !labelsMatch(d.selector, meta.labels)) return false;
  // Without the namespace's labels (offline, no Kubernetes API) a namespaceSelector cannot be decided and
  // is left out, as before labels were read; cluster-scoped resources have no namespace to select.
  if (d.namespaceSelector && request.namespaceLabels) {
    if (!namespace || !labelsMatch(d.namespaceSelector, request.namespaceLabels)) return false;
  }
  if (d.subjects && !d.subjects.some((s) => subjectMatches(s, request))) return false;
  return true;
}

// `Pod`, `v1/Pod`, `apps/v1/Deployment`, `*`, `*/Pod`: the last part is the kind, the rest group/version.
function kindMatches(pattern: string, gvk: ResourceRequest['kind'], kind: string): boolean {
  const parts = pattern.split('/');
  const wantKind = parts.pop() ?? '';
  if (!wildcardMatch(wantKind, kind)) return false;
  if (parts.length === 0 || kind !== gvk.kind) return true;
  const [groupOrVersion, version] = parts;
  if (parts.length === 1) return wildcardMatch(groupOrVersion ?? '*', gvk.version);
  return wildcardMatch(groupOrVersion ?? '*', gvk.group) && wildcardMatch(version ?? '*', gvk.version);
}

export function labelsMatch(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!wildcardMatch(value, labels[key] ?? '\u0000')) return false;
  }
  return (selector.matchExpressions ?? []).every((e) => {
    const present = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    if (e.operator === 'Exists') return present;
    if (e.operator === 'DoesNotExist') return !present;
    const listed = value !== undefined && (e.values ?? []).includes(value);
    return e.operator === 'In' ? listed : !listed;
  });
}

function subjectMatches(
  subject: { kind: string; name: string; namespace?: string | undefined },
  request: ResourceRequest,
): boolean {
  const user = request.userInfo?.username ?? '';
  if (subject.kind === 'User') return wildcardMatch(subject.name, user);
  if (subject.kind === 'Group')
    return (request.userInfo?.groups ?? []).some((g) => wildcardMatch(subject.name, g));
  if (subject.kind === 'ServiceAccount') {
    return user === `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`;
  }
  return false;
}
