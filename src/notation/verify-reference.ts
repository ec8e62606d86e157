/**
 * `notation verify REFERENCE` / `notation ls` / `notation inspect` against a registry: the artifact's
 * descriptor, its signature manifests (referrers API or tag schema), and each envelope.
 */
import type { Descriptor, ImageReference, RegistryClient } from '../oci/index.js';
import { DOCKER_HUB, repositoryName, withDigest } from '../oci/index.js';
import { fetchSignature, listSignatures, resolveTarget } from './signature-manifest.js';
import { type FetchedSignature, type NotationVerification, verifyNotationSignatures } from './verify.js';
import type { NotationVerifyOptions } from './verify-options.js';

export interface ArtifactSignatures {
  /** registry/repository@digest: the reference notation prints and matches scopes with. */
  reference: string;
  repository: string;
  target: Descriptor;
  signatures: Descriptor[];
}

export async function artifactSignatures(
  client: RegistryClient,
  ref: ImageReference,
): Promise<ArtifactSignatures> {
  const target = await resolveTarget(client, ref);
  // Trust policies name Docker Hub as docker.io (notation keeps the name as written); sigil's references
  // carry the API host.
  const repository = repositoryName(ref.registry === DOCKER_HUB ? { ...ref, registry: 'docker.io' } : ref);
  const signatures = await listSignatures(client, ref, target.digest);
  return { reference: `${repository}@${target.digest}`, repository, target, signatures };
}

export async function fetchSignatures(
  client: RegistryClient,
  ref: ImageReference,
  found: ArtifactSignatures,
  limit = 100,
): Promise<FetchedSignature[]> {
  const image = withDigest(ref, found.target.digest);
  return Promise.all(
    found.signatures.slice(0, limit).map((d) => fetchSignature(client, image, found.target.digest, d.digest)),
  );
}

export async function verifyReference(
  client: RegistryClient,
  ref: ImageReference,
  options: NotationVerifyOptions,
): Promise<NotationVerification & { artifact: ArtifactSignatures }> {
  const artifact = await artifactSignatures(client, ref);
  const target = { repository: artifact.repository, descriptor: artifact.target };
  const signatures = await fetchSignatures(client, ref, artifact, options.maxSignatures);
  return { ...(await verifyNotationSignatures(target, signatures, options)), artifact };
}
