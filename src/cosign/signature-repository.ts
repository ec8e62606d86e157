/**
 * Where an image's cosign artifacts live: next to the image, or in the repository named by
 * COSIGN_REPOSITORY (cosign's way to keep signatures apart from images, e.g. for read-only registries).
 */
import { SigilError } from '../core/index.js';
import { type ImageReference, parseReference, type Repository } from '../oci/index.js';

export function signatureRepository(image: ImageReference, env = process.env): Repository {
  const override = env.COSIGN_REPOSITORY;
  if (!override) return { registry: image.registry, repository: image.repository };
  const ref = parseReference(override);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new SigilError(
      'BAD_REFERENCE',
      `COSIGN_REPOSITORY must name a repository without tag or digest, got "${override}"`,
    );
  }
  return { registry: ref.registry, repository: ref.repository };
}
