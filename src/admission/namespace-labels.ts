/**
 * Namespace labels for namespaceSelector, read through the Kubernetes API and kept for a while: most
 * reviews come from a few namespaces, and admission should not cost an API call each. Failed reads are not
 * kept, so the next review asks again.
 */
import type { KubeClient } from '../kube/index.js';
import type { NamespaceLabels } from './policy-evaluator.js';

const TTL_MS = 30_000;

export function cachedNamespaceLabels(
  kube: Pick<KubeClient, 'getNamespace'>,
  ttlMs = TTL_MS,
): NamespaceLabels {
  const cache = new Map<string, { labels: Promise<Record<string, string>>; expires: number }>();
  return (namespace) => {
    const cached = cache.get(namespace);
    if (cached && cached.expires > Date.now()) return cached.labels;
    const labels = kube.getNamespace(namespace).then((ns) => ns.metadata.labels ?? {});
    cache.set(namespace, { labels, expires: Date.now() + ttlMs });
    labels.catch(() => cache.delete(namespace));
    return labels;
  };
}
