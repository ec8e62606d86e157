/** Reading cosign's signature artifacts (`.sig`, `.att`) from a registry: their layers, checked for type. */
import { isSigilError } from '../core/index.js';
import { type LayerDescriptor, signatureLayers } from '../formats/index.js';
import { type Manifest, type RegistryClient, type Repository, repositoryName } from '../oci/index.js';

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
