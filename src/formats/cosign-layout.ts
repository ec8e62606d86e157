/**
 * cosign's legacy OCI layout for signatures (sigstore/cosign `pkg/oci/static`, `pkg/oci/empty`,
 * `pkg/oci/mutate`): an OCI image tagged `sha256-<hex>.sig` in the signed image's repository, one layer per
 * signature. Each layer's blob is the signed payload; its annotations carry the signature and, for keyless
 * or logged signatures, the certificate, chain, Rekor bundle and RFC 3161 timestamp.
 *
 * The manifest and config are written byte-for-byte as go-containerregistry marshals them (struct field
 * order, zero time for `created`, one empty history entry per layer) so that signatures pushed by sigil
 * and by cosign are indistinguishable.
 */
import {
  type Digest,
  goJson,
  isDigest,
  isRecord,
  parseJson,
  SigilError,
  sha256Digest,
  sortedKeys,
} from '../core/index.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';

export const ANNOTATION_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANNOTATION_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANNOTATION_CHAIN = 'dev.sigstore.cosign/chain';
export const ANNOTATION_BUNDLE = 'dev.sigstore.cosign/bundle';
export const ANNOTATION_RFC3161_TIMESTAMP = 'dev.sigstore.cosign/rfc3161timestamp';

/** Go's zero time.Time, which go-containerregistry writes for `created` unless a timestamp is recorded. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export type ArtifactSuffix = 'sig' | 'att' | 'sbom';

/** The tag cosign stores an artifact of `digest` under: `sha256-<hex>.sig` (or `.att`, `.sbom`). */
export function artifactTag(digest: Digest, suffix: ArtifactSuffix): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}

export interface LayerDescriptor {
  mediaType: string;
  size: number;
  digest: Digest;
  annotations?: Record<string, string>;
}

/** One signature as a layer: the payload is the blob, the rest goes into the descriptor's annotations. */
export interface SignatureLayer {
  descriptor: LayerDescriptor;
  payload: Buffer;
}

export function signatureLayer(
  payload: Buffer,
  signatureBase64: string,
  extra: Record<string, string> = {},
  mediaType = SIMPLE_SIGNING_MEDIA_TYPE,
): SignatureLayer {
  return {
    payload,
    descriptor: {
      mediaType,
      size: payload.length,
      digest: sha256Digest(payload),
      annotations: sortedKeys({ ...extra, [ANNOTATION_SIGNATURE]: signatureBase64 }),
    },
  };
}

export interface SignatureImage {
  config: Buffer;
  manifest: Buffer;
}

/**
 * The config and manifest of a signature image holding `layers` (all of them: existing ones first).
 * `created` is kept from an existing config when it recorded one.
 */
export function buildSignatureImage(
  layers: readonly LayerDescriptor[],
  created = GO_ZERO_TIME,
): SignatureImage {
  const config = Buffer.from(
    goJson({
      architecture: '',
      created,
      history: layers.map(() => ({ created: GO_ZERO_TIME })),
      os: '',
      // Signature layers are stored uncompressed, so each diff ID is the layer digest.
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: { mediaType: OCI_CONFIG_MEDIA_TYPE, size: config.length, digest: sha256Digest(config) },
      layers: layers.map((l) => ({
        mediaType: l.mediaType,
        size: l.size,
        digest: l.digest,
        ...(l.annotations && Object.keys(l.annotations).length > 0
          ? { annotations: sortedKeys(l.annotations) }
          : {}),
      })),
    }),
  );
  return { config, manifest };
}

/** The `created` time of an existing signature image's config, to keep it when appending. */
export function configCreated(config: Uint8Array, where: string): string {
  const value = parseJson(config, where);
  return isRecord(value) && typeof value.created === 'string' ? value.created : GO_ZERO_TIME;
}

/**
 * The layers of a signature manifest, checked: each must be of `mediaType` and carry the signature
 * annotation. A foreign layer (a different media type) is rejected rather than skipped, because a
 * signature manifest that holds anything else has been tampered with or written by a different tool.
 */
export function signatureLayers(manifest: unknown, mediaType: string, where: string): LayerDescriptor[] {
  if (!isRecord(manifest) || !Array.isArray(manifest.layers)) {
    throw new SigilError('BAD_MANIFEST', `${where}: signature manifest has no "layers" array`);
  }
  return manifest.layers.map((layer, i) => {
    if (
      !isRecord(layer) ||
      typeof layer.digest !== 'string' ||
      !isDigest(layer.digest) ||
      typeof layer.size !== 'number'
    ) {
      throw new SigilError('BAD_MANIFEST', `${where}: layers[${i}] is not a valid descriptor`);
    }
    if (layer.mediaType !== mediaType) {
      throw new SigilError(
        'BAD_MANIFEST',
        `${where}: layers[${i}] has media type ${JSON.stringify(layer.mediaType)}, expected ${mediaType}`,
      );
    }
    const annotations = isRecord(layer.annotations) ? layer.annotations : {};
    for (const [key, value] of Object.entries(annotations)) {
      if (typeof value !== 'string') {
        throw new SigilError('BAD_MANIFEST', `${where}: layers[${i}] annotation ${key} is not a string`);
      }
    }
    return {
      mediaType,
      size: layer.size,
      digest: layer.digest as Digest,
      annotations: annotations as Record<string, string>,
    };
  });
}
