/**
 * What cosign's `--recursive` reaches from an image: the image itself and, for a multi-platform image (an
 * image index), every manifest it lists, nested indexes included (go-containerregistry's walk, which cosign
 * uses for `sign --recursive` and `copy`). Every one is signed on its own, in the image's repository.
 */
import type { Digest } from '../core/index.js';
import {
  type FetchedManifest,
  type ImageReference,
  INDEX_TYPES,
  isIndex,
  manifestReference,
  type RegistryClient,
  type Repository,
} from '../oci/index.js';

/** The digests cosign signs for an image: its own and, for an index, every child's (transitively). */
export async function signedEntities(
  client: RegistryClient,
  repo: Repository,
  root: FetchedManifest,
): Promise<Digest[]> {
  if (!isIndex(root.manifest)) return [root.digest];
  const children = await Promise.all(
    root.manifest.manifests.map(async (child) =>
      INDEX_TYPES.includes(child.mediaType)
        ? signedEntities(client, repo, await client.getManifest(repo, child.digest))
        : [child.digest],
    ),
  );
  return [root.digest, ...children.flat()];
}

/** `sign --recursive`: the image pinned to its digest, then each manifest of its index, by digest. */
export async function recursiveSigningTargets(
  client: RegistryClient,
  image: ImageReference,
): Promise<ImageReference[]> {
  const root = await client.getManifest(image, manifestReference(image));
  const digests = await signedEntities(client, image, root);
  return digests.map((digest) => ({ registry: image.registry, repository: image.repository, digest }));
}
