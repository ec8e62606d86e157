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
  type RegistryClient,
  type Repository,
} from '../oci/index.js';
import { ANNOTATION_PREDICATE_TYPE } from './attest.js';
import { signatureRepository } from './signature-repository.js';
import { ARTIFACT_SUFFIXES, type ArtifactKind } from './triangulate.js';

export interface TreeArtifact {
  kind: ArtifactKind;
  reference: string;
  layers: { digest: string; predicateType?: string }[];
}

export interface ImageTree {
  image: string;
  digest: string;
  artifacts: TreeArtifact[];
  referrers: Descriptor[];
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
  const referrers = await client.referrers(
    { registry: image.registry, repository: image.repository },
    digest,
  );
  return { image: formatReference(image), digest, artifacts, referrers };
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

/** cosign's text rendering of the tree. */
export function treeText(tree: ImageTree): string {
  const lines = [`📦 Supply Chain Security Related artifacts for an image: ${tree.image}`];
  const sections = [
    ...tree.artifacts.map((a) => ({
      heading: `${HEADINGS[a.kind]}: ${a.reference}`,
      items: a.layers.map((l) =>
        l.predicateType ? `🍒 ${l.digest} (${l.predicateType})` : `🍒 ${l.digest}`,
      ),
    })),
    ...(tree.referrers.length > 0
      ? [
          {
            heading: `🔗 OCI referrers of ${tree.digest}`,
            items: tree.referrers.map((r) => `🍒 ${r.digest} (${r.artifactType ?? r.mediaType})`),
          },
        ]
      : []),
  ];
  if (sections.length === 0)
    return `${lines[0]}\nNo Supply Chain Security Related Artifacts found for image ${tree.image}`;
  for (const section of sections) {
    lines.push(`└── ${section.heading}`);
    section.items.forEach((item, i) => {
      lines.push(`   ${i === section.items.length - 1 ? '└──' : '├──'} ${item}`);
    });
  }
  return lines.join('\n');
}
