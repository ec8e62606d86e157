import { TYPE_STRING } from '@jmespath-community/jmespath';
import { messageOf } from '../../../core/errors.js';
import { DEFAULT_TAG, DOCKER_HUB, parseReference } from '../../../oci/index.js';
import { type CustomFunction, FunctionError } from './types.js';

/**
 * Kyverno's image_normalize: the fully qualified form of an image reference as Kyverno's ImageInfo prints it,
 * `docker.io/library/nginx:latest`, or `registry/path@digest` when there is a digest (the tag is then dropped).
 */
function normalizeImage(text: string): string {
  let ref: ReturnType<typeof parseReference>;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw new FunctionError('image_normalize', messageOf(err));
  }
  // Kyverno names Docker Hub by its canonical domain, not go-containerregistry's API host.
  const registry = ref.registry === DOCKER_HUB ? 'docker.io' : ref.registry;
  const name = `${registry}/${ref.repository}`;
  return ref.digest !== undefined ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? DEFAULT_TAG}`;
}

export const imageFunctions: CustomFunction[] = [
  {
    name: 'image_normalize',
    signature: [{ types: [TYPE_STRING] }],
    run: ([image]) => normalizeImage(String(image)),
  },
];
