/**
 * `clean`: delete an image's cosign artifacts: the `.sig`, `.att` and `.sbom` manifests in the signature
 * repository, and (type `referrer`, or `all`) the Sigstore bundles cosign v3 and `--new-bundle-format`
 * store as OCI 1.1 referrers of the image. Deletion is by digest, which every registry accepts
 * (distribution refuses tag deletes).
 */
import { artifactTag } from '../formats/index.js';
import { deleteReferrer, formatReference, type ImageReference, type RegistryClient } from '../oci/index.js';
import { BUNDLE_V03_MEDIA_TYPE } from './bundle-referrers.js';
import { signatureRepository } from './signature-repository.js';
import { ARTIFACT_SUFFIXES, type ArtifactKind } from './triangulate.js';

export const CLEAN_TYPES = ['signature', 'attestation', 'sbom', 'referrer', 'all'] as const;
export type CleanType = (typeof CLEAN_TYPES)[number];

const TAGGED: Record<CleanType, ArtifactKind[]> = {
  signature: ['signature'],
  attestation: ['attestation'],
  sbom: ['sbom'],
  referrer: [],
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
  if (type === 'referrer' || type === 'all') {
    // Only bundles, as cosign: other referrers (Notary signatures, SBOM artifacts) are not cosign's.
    const bundles = await client.referrers(image, digest, { artifactType: BUNDLE_V03_MEDIA_TYPE });
    for (const bundle of bundles) {
      await deleteReferrer(client, image, digest, bundle.digest);
      deleted.push(
        formatReference({ registry: image.registry, repository: image.repository, digest: bundle.digest }),
      );
    }
  }
  return deleted;
}
