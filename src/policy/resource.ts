/**
 * What a rule sees of a request: the resource's kind, name, namespace, labels and annotations, the
 * operation and user, and the images of its pod spec with the JSON pointers a patch needs. Pod
 * controllers are read through their pod template, as Kyverno's autogen rules do.
 */
export interface ResourceRequest {
  kind: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace?: string | undefined;
  name?: string | undefined;
  userInfo?: { username?: string | undefined; groups?: string[] | undefined } | undefined;
  object?: Record<string, unknown> | null | undefined;
  /** The labels of the request's namespace, for namespaceSelector; absent when they cannot be known. */
  namespaceLabels?: Record<string, string> | undefined;
}

export interface ResourceImage {
  /** The image as written in the manifest. */
  image: string;
  /** JSON pointer to the `image` field, e.g. /spec/template/spec/containers/0/image. */
  pointer: string;
  /** Kyverno's path form, e.g. .spec.containers[0].image, for messages. */
  path: string;
}

export const POD_CONTROLLERS = [
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
];

/** Where the pod spec of a kind lives, or undefined for kinds that have none. */
export function podSpecPointer(kind: string): string[] | undefined {
  if (kind === 'Pod') return ['spec'];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  if (POD_CONTROLLERS.includes(kind)) return ['spec', 'template', 'spec'];
  return undefined;
}

export function resourceImages(
  kind: string,
  object: Record<string, unknown> | null | undefined,
): ResourceImage[] {
  const base = podSpecPointer(kind);
  if (!base || !object) return [];
  let spec: unknown = object;
  for (const key of base) spec = (spec as Record<string, unknown> | undefined)?.[key];
  if (!spec || typeof spec !== 'object') return [];
  const images: ResourceImage[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = (spec as Record<string, unknown>)[field];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container, i) => {
      const image = (container as { image?: unknown } | null)?.image;
      if (typeof image !== 'string') return;
      images.push({
        image,
        pointer: `/${[...base, field, String(i), 'image'].join('/')}`,
        path: `.${[...base, field].join('.')}[${i}].image`,
      });
    });
  }
  return images;
}

export function metadataOf(object: Record<string, unknown> | null | undefined): {
  name?: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const metadata = (object?.metadata ?? {}) as Record<string, unknown>;
  const strings = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, string>) : {});
  return {
    ...(typeof metadata.name === 'string' ? { name: metadata.name } : {}),
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    labels: strings(metadata.labels),
    annotations: strings(metadata.annotations),
  };
}
