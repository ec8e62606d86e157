/** Reading cosign's signature artifacts (`.sig`, `.att`) from a registry: their layers, checked for type. */
import { isSigilError } from '../core/index.js';
import {
  buildSignatureImage,
  configCreated,
  type LayerDescriptor,
  OCI_MANIFEST_MEDIA_TYPE,
  type SignatureLayer,
  signatureLayers,
} from '../formats/index.js';
import {
  isIndex,
  type Manifest,
  type RegistryClient,
  type Repository,
  repositoryName,
} from '../oci/index.js';

export interface SignatureArtifact {
  manifest: Manifest;
  layers: LayerDescriptor[];
}

/** The artifact at `tag`, or undefined when there is none (the image has no signatures yet). */
export async function readSignatureLayers(
  client: RegistryClient,
  repo: Repository,
  tag: string,
  mediaType: string,
): Promise<SignatureArtifact | undefined> {
  try {
    const { manifest } = await client.getManifest(repo, tag);
    return { manifest, layers: signatureLayers(manifest, mediaType, `${repositoryName(repo)}:${tag}`) };
  } catch (err) {
    if (isSigilError(err, 'REGISTRY_NOT_FOUND')) return undefined;
    throw err;
  }
}

/**
 * Writes the artifact at `tag` with `layers` (which include `added`, whose blob is pushed). The creation
 * time of an existing artifact is kept, as cosign does when it appends. Blobs go first and the manifest
 * last, so a failure part-way leaves the previous artifact intact.
 */
export async function pushArtifactImage(
  client: RegistryClient,
  repo: Repository,
  tag: string,
  existing: SignatureArtifact | undefined,
  layers: readonly LayerDescriptor[],
  added: SignatureLayer,
): Promise<void> {
  const created =
    existing && !isIndex(existing.manifest)
      ? configCreated(
          await client.getBlob(repo, existing.manifest.config.digest),
          `${repositoryName(repo)}:${tag} config`,
        )
      : undefined;
  const image = buildSignatureImage(layers, created);
  await client.pushBlob(repo, added.payload);
  await client.pushBlob(repo, image.config);
  await client.putManifest(repo, tag, image.manifest, OCI_MANIFEST_MEDIA_TYPE);
}
