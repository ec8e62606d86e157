/**
 * `tree`: the supply-chain artifacts of an image, as cosign lists them: the `.att`, `.sig` and `.sbom`
 * artifacts of its digest (each layer, with the attestations' predicate types) and its OCI 1.1 referrers
 * (e.g. Sigstore bundles written with the new bundle format).
 */
import { isSigilError } from '../core/index.js';
import { artifactTag } from '../formats/index.js';
import {
  type Descriptor,
  formatReference,
  type ImageReference,
  isIndex,
  type Manifest,
  type RegistryClient,
  type Repository,
} from '../oci/index.js';
import { ANNOTATION_PREDICATE_TYPE } from './attest.js';
import { BUNDLE_PREDICATE_TYPE_ANNOTATION } from './bundle-referrers.js';
import { signatureRepository } from './signature-repository.js';
import { ARTIFACT_SUFFIXES, type ArtifactKind } from './triangulate.js';

export interface TreeArtifact {
  kind: ArtifactKind;
  reference: string;
  layers: { digest: string; predicateType?: string }[];
}

/** An OCI 1.1 referrer of the image, with what its manifest holds. */
export interface TreeReferrer extends Descriptor {
  /** The referrer manifest: `<repository>@<digest>`. */
  reference: string;
  /** What cosign names it by: a Sigstore bundle's predicate type, else its artifact type. */
  kind: string;
  layers: { digest: string }[];
}

export interface ImageTree {
  image: string;
  digest: string;
  artifacts: TreeArtifact[];
  referrers: TreeReferrer[];
}

const ORDER: ArtifactKind[] = ['attestation', 'signature', 'sbom'];

export async function imageTree(client: RegistryClient, image: ImageReference): Promise<ImageTree> {
  const digest = await client.resolveDigest(image);
  const repo = signatureRepository(image);
  const artifacts: TreeArtifact[] = [];
  for (const kind of ORDER) {
    const tag = artifactTag(digest, ARTIFACT_SUFFIXES[kind]);
    const layers = await artifactLayers(client, repo, tag);
    if (layers) artifacts.push({ kind, reference: formatReference({ ...repo, tag }), layers });
  }
  const repository = { registry: image.registry, repository: image.repository };
  const referrers: TreeReferrer[] = [];
  for (const descriptor of await client.referrers(repository, digest)) {
    const referrer = await describeReferrer(client, repository, descriptor);
    if (referrer) referrers.push(referrer);
  }
  return { image: formatReference(image), digest, artifacts, referrers };
}

async function describeReferrer(
  client: RegistryClient,
  repository: Repository,
  descriptor: Descriptor,
): Promise<TreeReferrer | undefined> {
  let manifest: Manifest;
  try {
    ({ manifest } = await client.getManifest(repository, descriptor.digest));
  } catch (err) {
    // A tag-schema index can outlive a referrer deleted without updating it: cosign skips those too.
    if (isSigilError(err, 'REGISTRY_NOT_FOUND')) return undefined;
    throw err;
  }
  const predicateType = manifest.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
  return {
    ...descriptor,
    reference: formatReference({ ...repository, digest: descriptor.digest }),
    kind: predicateType ?? descriptor.artifactType ?? descriptor.mediaType,
    layers: isIndex(manifest) ? [] : manifest.layers.map((l) => ({ digest: l.digest })),
  };
}

async function artifactLayers(
  client: RegistryClient,
  repo: Repository,
  tag: string,
): Promise<TreeArtifact['layers'] | undefined> {
  try {
    const { manifest } = await client.getManifest(repo, tag);
    if (isIndex(manifest)) return [];
    return manifest.layers.map((l) => {
      const predicateType = l.annotations?.[ANNOTATION_PREDICATE_TYPE];
      return { digest: l.digest, ...(predicateType ? { predicateType } : {}) };
    });
  } catch (err) {
    if (isSigilError(err, 'REGISTRY_NOT_FOUND')) return undefined;
    throw err;
  }
}

const HEADINGS: Record<ArtifactKind, string> = {
  attestation: '💾 Attestations for an image tag',
  signature: '🔐 Signatures for an image tag',
  sbom: '📦 SBOMs for an image tag',
};

/**
 * cosign's text rendering of the tree: a section per artifact tag and per referrer, each listing layer
 * digests (predicate types and media types are in the JSON output only, as cosign prints none).
 */
export function treeText(tree: ImageTree): string {
  const lines = [`📦 Supply Chain Security Related artifacts for an image: ${tree.image}`];
  const sections = [
    ...tree.artifacts.map((a) => ({ heading: `${HEADINGS[a.kind]}: ${a.reference}`, layers: a.layers })),
    ...tree.referrers.map((r) => ({
      heading: `🔗 ${r.kind} artifacts via OCI referrer: ${r.reference}`,
      layers: r.layers,
    })),
  ];
  if (sections.length === 0)
    return `${lines[0]}\nNo Supply Chain Security Related Artifacts found for image ${tree.image}`;
  for (const section of sections) {
    lines.push(`└── ${section.heading}`);
    section.layers.forEach((layer, i) => {
      lines.push(`   ${i === section.layers.length - 1 ? '└──' : '├──'} 🍒 ${layer.digest}`);
    });
  }
  return lines.join('\n');
}
