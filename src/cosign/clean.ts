/**
 * `clean`: delete an image's cosign artifacts: the `.sig`, `.att` and `.sbom` manifests in the signature
 * repository, and (type `referrer`, or `all`) the Sigstore bundles cosign v3 and `--new-bundle-format`
 * store as OCI 1.1 referrers of the image; with type `notation` (sigil's own, cosign has none), the
 * image's Notation signature manifests. Deletion is by digest, which every registry accepts
 * (distribution refuses tag deletes).
 */
import { artifactTag } from '../formats/index.js';
import { NOTATION_ARTIFACT_TYPE } from '../notation/index.js';
import { deleteReferrer, formatReference, type ImageReference, type RegistryClient } from '../oci/index.js';
import { BUNDLE_V03_MEDIA_TYPE } from './bundle-referrers.js';
import { signatureRepository } from './signature-repository.js';
import { ARTIFACT_SUFFIXES, type ArtifactKind } from './triangulate.js';

export const CLEAN_TYPES = ['signature', 'attestation', 'sbom', 'referrer', 'notation', 'all'] as const;
export type CleanType = (typeof CLEAN_TYPES)[number];

const TAGGED: Record<CleanType, ArtifactKind[]> = {
  signature: ['signature'],
  attestation: ['attestation'],
  sbom: ['sbom'],
  referrer: [],
  notation: [],
  all: ['signature', 'attestation', 'sbom'],
};

/** Deletes the artifacts of `type` and returns the references of those that existed (and are gone now). */
export async function cleanArtifacts(
  client: RegistryClient,
  image: ImageReference,
  type: CleanType,
  env = process.env,
): Promise<string[]> {
  const digest = await client.resolveDigest(image);
  const repository = signatureRepository(image, env);
  const deleted: string[] = [];
  for (const kind of TAGGED[type]) {
    const tag = artifactTag(digest, ARTIFACT_SUFFIXES[kind]);
    const existing = await client.headManifest(repository, tag);
    if (existing === undefined) continue;
    await client.deleteManifest(repository, existing.digest);
    deleted.push(formatReference({ ...repository, tag }));
  }
  // `referrer` and `all` take only bundles, as cosign: other referrers (SBOM artifacts, Notation
  // signatures) are not cosign's; Notation signatures go with `notation` alone.
  const artifactType =
    type === 'referrer' || type === 'all'
      ? BUNDLE_V03_MEDIA_TYPE
      : type === 'notation'
        ? NOTATION_ARTIFACT_TYPE
        : undefined;
  if (artifactType) {
    for (const referrer of await client.referrers(image, digest, { artifactType })) {
      await deleteReferrer(client, image, digest, referrer.digest);
      deleted.push(
        formatReference({ registry: image.registry, repository: image.repository, digest: referrer.digest }),
      );
    }
  }
  return deleted;
}
