/**
 * Where an image's cosign artifacts live: next to the image, or in the repository named by
 * COSIGN_REPOSITORY (cosign's way to keep signatures apart from images, e.g. for read-only registries).
 * Kyverno's verifyImages `repository` names such a repository per rule.
 */
import { SigilError } from '../core/index.js';
import { type ImageReference, parseReference, type Repository } from '../oci/index.js';

export function signatureRepository(image: ImageReference, env = process.env): Repository {
  const override = env.COSIGN_REPOSITORY;
  if (!override) return { registry: image.registry, repository: image.repository };
  return parseSignatureRepository(override, 'COSIGN_REPOSITORY');
}

/** A repository for signatures: a name without tag or digest; `what` names the setting in errors. */
export function parseSignatureRepository(value: string, what: string): Repository {
  const ref = parseReference(value);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new SigilError(
      'BAD_REFERENCE',
      `${what} must name a repository without tag or digest, got "${value}"`,
    );
  }
  return { registry: ref.registry, repository: ref.repository };
}
