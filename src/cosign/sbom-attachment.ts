/**
 * `attach sbom` / `download sbom`: an SBOM stored unsigned next to the image, as cosign does it: a
 * one-layer image tagged `sha256-<hex>.sbom` whose layer is the document, typed by format (cosign's
 * `--type` and `--input-format`). Attaching replaces what was there; it proves nothing about who wrote
 * it (an attestation does), which the CLI says when attaching.
 */
import { type Digest, SigilError, sha256Digest } from '../core/index.js';
import { artifactTag, buildSignatureImage, OCI_MANIFEST_MEDIA_TYPE } from '../formats/index.js';
import { type ImageReference, isIndex, type RegistryClient, repositoryName } from '../oci/index.js';
import { signatureRepository } from './signature-repository.js';

const SBOM_MEDIA_TYPES: Record<string, Record<string, string>> = {
  spdx: { json: 'text/spdx+json', text: 'text/spdx', xml: 'text/spdx+xml' },
  cyclonedx: { json: 'application/vnd.cyclonedx+json', xml: 'application/vnd.cyclonedx+xml' },
  syft: { json: 'application/vnd.syft+json' },
};

export function sbomMediaType(type: string, inputFormat: string): string {
  const mediaType = SBOM_MEDIA_TYPES[type]?.[inputFormat];
  if (!mediaType) {
    throw new SigilError(
      'BAD_INPUT',
      `--type ${type} --input-format ${inputFormat}: not an SBOM format (spdx: json|text|xml, cyclonedx: json|xml, syft: json)`,
    );
  }
  return mediaType;
}

export async function attachSbom(
  client: RegistryClient,
  image: ImageReference,
  sbom: Uint8Array,
  mediaType: string,
): Promise<{ digest: Digest; reference: string }> {
  const digest = image.digest ?? (await client.resolveDigest(image));
  const repo = signatureRepository(image);
  const tag = artifactTag(digest, 'sbom');
  const layer = { mediaType, size: sbom.length, digest: sha256Digest(sbom) };
  const artifact = buildSignatureImage([layer]);
  await client.pushBlob(repo, Buffer.from(sbom));
  await client.pushBlob(repo, artifact.config);
  await client.putManifest(repo, tag, artifact.manifest, OCI_MANIFEST_MEDIA_TYPE);
  return { digest, reference: `${repositoryName(repo)}:${tag}` };
}

export async function downloadSboms(
  client: RegistryClient,
  image: ImageReference,
): Promise<{ mediaType: string; content: Buffer }[]> {
  const digest = image.digest ?? (await client.resolveDigest(image));
  const repo = signatureRepository(image);
  const tag = artifactTag(digest, 'sbom');
  const { manifest } = await client.getManifest(repo, tag).catch((err: unknown) => {
    if (err instanceof SigilError && err.code === 'REGISTRY_NOT_FOUND') {
      throw new SigilError('NOT_FOUND', `no SBOMs attached to ${repositoryName(image)}@${digest}`);
    }
    throw err;
  });
  if (isIndex(manifest))
    throw new SigilError('BAD_MANIFEST', `${repositoryName(repo)}:${tag} is an index, not an SBOM image`);
  return Promise.all(
    manifest.layers.map(async (l) => ({
      mediaType: l.mediaType,
      content: await client.getBlob(repo, l.digest),
    })),
  );
}
