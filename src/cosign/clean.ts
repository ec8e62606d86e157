/**
 * `clean`: delete an image's cosign artifacts (the `.sig`, `.att` and `.sbom` manifests in the signature
 * repository). Deletion is by digest, which every registry accepts (distribution refuses tag deletes).
 */
import { artifactTag } from '../formats/index.js';
import { formatReference, type ImageReference, type RegistryClient } from '../oci/index.js';
import { signatureRepository } from './signature-repository.js';
import { ARTIFACT_SUFFIXES, type ArtifactKind } from './triangulate.js';

export const CLEAN_TYPES = ['signature', 'attestation', 'sbom', 'all'] as const;
export type CleanType = (typeof CLEAN_TYPES)[number];

/** Deletes the artifacts of `type` and returns the references of those that existed (and are gone now). */
export async function cleanArtifacts(
  client: RegistryClient,
  image: ImageReference,
  type: CleanType,
  env = process.env,
): Promise<string[]> {
  const digest = await client.resolveDigest(image);
  const repository = signatureRepository(image, env);
  const kinds: ArtifactKind[] = type === 'all' ? ['signature', 'attestation', 'sbom'] : [type];
  const deleted: string[] = [];
  for (const kind of kinds) {
    const tag = artifactTag(digest, ARTIFACT_SUFFIXES[kind]);
    const existing = await client.headManifest(repository, tag);
    if (existing === undefined) continue;
    await client.deleteManifest(repository, existing.digest);
    deleted.push(formatReference({ ...repository, tag }));
  }
  return deleted;
}
