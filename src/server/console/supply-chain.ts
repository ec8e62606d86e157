/**
 * An image's supply chain as the console shows it: digest, platforms, the signatures of its `.sig`
 * artifact (who signed: certificate identity and issuer, or a key; where it is logged), the attestations
 * of its `.att` artifact by predicate type with their predicates summarised, its Notation signatures and
 * its OCI 1.1 referrers.
 * Read from the registry with sigil's own OCI and cosign code; nothing here is verified: the log entry
 * links and `sigil verify` do that.
 */
import { X509Certificate } from 'node:crypto';
import { isSigilError, messageOf } from '../../core/index.js';
import { imageTree, signatureRepository } from '../../cosign/index.js';
import { readSignatureLayers } from '../../cosign/signature-image.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  artifactTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  type LayerDescriptor,
  parseDsseEnvelope,
  parseRekorBundle,
  parseStatement,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from '../../formats/index.js';
import {
  formatReference,
  type ImageReference,
  isIndex,
  parseReference,
  type RegistryClient,
  type Repository,
} from '../../oci/index.js';
import { certificateIdentity } from '../../verify/index.js';
import { type NotationSignature, notationSignatures } from './notation-signatures.js';
import { type PredicateSummary, summarizePredicate } from './predicates.js';

export interface Signer {
  /** Keyless: the certificate's SAN and OIDC issuer; key-signed: neither. */
  identity?: string;
  issuer?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  githubWorkflowSha?: string;
  /** Where the signature is logged (from the cosign bundle annotation). */
  logIndex?: number;
  integratedTime?: number;
}

export interface ImageSupplyChain {
  reference: string;
  digest: string;
  mediaType: string;
  platforms: { platform: string; digest: string }[];
  signatures: Signer[];
  attestations: (Signer & { predicateType: string; summary: PredicateSummary })[];
  /** The Notary Project signatures among its OCI referrers. */
  notation: NotationSignature[];
  referrers: { kind: string; reference: string }[];
  /** Parts that could not be read, one line each (the rest is still shown). */
  problems: string[];
}

export async function imageSupplyChain(client: RegistryClient, reference: string): Promise<ImageSupplyChain> {
  const image = parseReference(reference);
  const digest = await client.resolveDigest(image);
  const pinned: ImageReference = { ...image, tag: undefined, digest };
  const { manifest, mediaType } = await client.getManifest(image, digest);
  const platforms = isIndex(manifest)
    ? manifest.manifests.map((m) => ({
        platform: m.platform
          ? [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/')
          : 'unknown',
        digest: m.digest,
      }))
    : [];
  const problems: string[] = [];
  const repo = signatureRepository(image);
  const signatures = await readLayers(
    client,
    repo,
    artifactTag(digest, 'sig'),
    SIMPLE_SIGNING_MEDIA_TYPE,
    problems,
  );
  const attestations = await readLayers(
    client,
    repo,
    artifactTag(digest, 'att'),
    DSSE_ENVELOPE_MEDIA_TYPE,
    problems,
  );
  const chain: ImageSupplyChain = {
    reference: formatReference(pinned),
    digest,
    mediaType: mediaType ?? '',
    platforms,
    signatures: signatures.map((layer) => signerOf(layer, problems)),
    attestations: [],
    notation: await notationSignatures(client, { ...pinned, digest }, problems),
    referrers: [],
    problems,
  };
  for (const layer of attestations) {
    try {
      const envelope = parseDsseEnvelope(await client.getBlob(repo, layer.digest), layer.digest);
      const statement = parseStatement(envelope.payload, layer.digest);
      chain.attestations.push({
        ...signerOf(layer, problems),
        predicateType: statement.predicateType,
        summary: summarizePredicate(statement.predicateType, statement.predicate),
      });
    } catch (err) {
      problems.push(`attestation ${layer.digest}: ${messageOf(err)}`);
    }
  }
  try {
    const tree = await imageTree(client, pinned);
    chain.referrers = tree.referrers.map((r) => ({ kind: r.kind, reference: r.reference }));
  } catch (err) {
    problems.push(`referrers: ${messageOf(err)}`);
  }
  return chain;
}

async function readLayers(
  client: RegistryClient,
  repo: Repository,
  tag: string,
  mediaType: string,
  problems: string[],
): Promise<LayerDescriptor[]> {
  try {
    return (await readSignatureLayers(client, repo, tag, mediaType))?.layers ?? [];
  } catch (err) {
    if (!isSigilError(err, 'REGISTRY_NOT_FOUND')) problems.push(`${tag}: ${messageOf(err)}`);
    return [];
  }
}

/** Who signed a cosign layer and where it is logged, from its certificate and bundle annotations. */
function signerOf(layer: LayerDescriptor, problems: string[]): Signer {
  const signer: Signer = {};
  const pem = layer.annotations?.[ANNOTATION_CERTIFICATE];
  if (pem) {
    try {
      const identity = certificateIdentity(new X509Certificate(pem));
      if (identity.subjects[0]) signer.identity = identity.subjects[0];
      if (identity.issuer) signer.issuer = identity.issuer;
      if (identity.githubWorkflowRepository)
        signer.githubWorkflowRepository = identity.githubWorkflowRepository;
      if (identity.githubWorkflowRef) signer.githubWorkflowRef = identity.githubWorkflowRef;
      if (identity.githubWorkflowSha) signer.githubWorkflowSha = identity.githubWorkflowSha;
    } catch (err) {
      problems.push(`layer ${layer.digest} certificate: ${messageOf(err)}`);
    }
  }
  const bundle = layer.annotations?.[ANNOTATION_BUNDLE];
  if (bundle) {
    try {
      const { Payload } = parseRekorBundle(bundle, `layer ${layer.digest} bundle`);
      signer.logIndex = Payload.logIndex;
      signer.integratedTime = Payload.integratedTime;
    } catch (err) {
      problems.push(messageOf(err));
    }
  }
  return signer;
}
