/**
 * `triangulate`: where cosign keeps an image's artifacts. The image's tag is resolved to its digest, and
 * the artifact lives under `sha256-<hex>.sig` / `.att` / `.sbom` in the signature repository (the image's
 * own, or COSIGN_REPOSITORY); `digest` names the image itself by digest.
 */
import { type ArtifactSuffix, artifactTag } from '../formats/index.js';
import { formatReference, type ImageReference, type RegistryClient, withDigest } from '../oci/index.js';
import { signatureRepository } from './signature-repository.js';

export const TRIANGULATE_TYPES = ['signature', 'attestation', 'sbom', 'digest'] as const;
export type TriangulateType = (typeof TRIANGULATE_TYPES)[number];

/** The cosign artifact kinds and the tag suffix each is stored under. */
export type ArtifactKind = Exclude<TriangulateType, 'digest'>;
export const ARTIFACT_SUFFIXES: Record<ArtifactKind, ArtifactSuffix> = {
  signature: 'sig',
  attestation: 'att',
  sbom: 'sbom',
};

/** The full reference of `image`'s artifact of `type`, e.g. `registry/app:sha256-<hex>.sig`. */
export async function triangulate(
  client: RegistryClient,
  image: ImageReference,
  type: TriangulateType,
  env = process.env,
): Promise<string> {
  const digest = await client.resolveDigest(image);
  if (type === 'digest') return formatReference(withDigest(image, digest));
  const repository = signatureRepository(image, env);
  return formatReference({ ...repository, tag: artifactTag(digest, ARTIFACT_SUFFIXES[type]) });
}
