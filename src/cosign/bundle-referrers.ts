/**
 * Sigstore bundles stored as OCI 1.1 referrers of an image, the layout cosign v3 writes with
 * `--new-bundle-format`: a manifest whose artifactType is the bundle media type, with the empty config,
 * one layer holding the bundle JSON, the image as subject, and `dev.sigstore.bundle.*` annotations that
 * let readers pick bundles from the referrers list without downloading them.
 */
import { type Digest, SigilError } from '../core/index.js';
import {
  type Descriptor,
  type ImageReference,
  isIndex,
  OCI_EMPTY,
  OCI_MANIFEST,
  pushReferrer,
  type RegistryClient,
  type Repository,
  repositoryName,
} from '../oci/index.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
/** The predicate type cosign v3 gives image signatures stored as bundles. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** The OCI empty descriptor's content: `{}`. */
const EMPTY_JSON = Buffer.from('{}');

/** A bundle referrer of an image: the referrer manifest's descriptor (with its annotations). */
export type BundleReferrer = Descriptor;

function subjectDigest(image: ImageReference): Digest {
  if (image.digest === undefined) {
    throw new SigilError(
      'BAD_REFERENCE',
      `${repositoryName(image)}: a bundle referrer needs the image digest`,
    );
  }
  return image.digest;
}

/**
 * Pushes `bundle` (the bundle JSON, stored byte for byte) as a referrer of `image` (which must carry its
 * digest) and returns the referrer manifest's digest. `annotations` normally hold the content kind
 * (`dsse-envelope` / `message-signature`), the predicate type and the creation time.
 */
export async function pushBundleReferrer(
  client: RegistryClient,
  image: ImageReference,
  bundle: Buffer,
  annotations: Record<string, string>,
  /** Where the referrer goes when not beside the image (COSIGN_REPOSITORY). */
  home: Repository = image,
): Promise<Digest> {
  const digest = subjectDigest(image);
  const subject = (await client.headManifest(image, digest)) ?? notFound(image, digest);
  const config = await client.pushBlob(home, EMPTY_JSON);
  const layer = await client.pushBlob(home, bundle);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    // The artifact type on the config descriptor too, as cosign writes it: cosign clean deletes only the
    // referrers whose config descriptor names the bundle type.
    config: { mediaType: OCI_EMPTY, ...config, artifactType: BUNDLE_V03_MEDIA_TYPE },
    layers: [{ mediaType: BUNDLE_V03_MEDIA_TYPE, ...layer }],
    subject: { mediaType: subject.mediaType || OCI_MANIFEST, digest, size: subject.size },
    annotations,
  };
  return pushReferrer(client, home, Buffer.from(JSON.stringify(manifest)));
}

/** The bundle referrers of `image`, optionally only those whose predicate-type annotation matches. */
export async function listBundleReferrers(
  client: RegistryClient,
  image: ImageReference,
  options: { predicateType?: string } = {},
): Promise<BundleReferrer[]> {
  const referrers = await client.referrers(image, subjectDigest(image), {
    artifactType: BUNDLE_V03_MEDIA_TYPE,
  });
  if (options.predicateType === undefined) return referrers;
  return referrers.filter((d) => d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] === options.predicateType);
}

/** The bundle bytes a referrer holds, checked to be the single bundle layer cosign writes. */
export async function fetchReferrerBundle(
  client: RegistryClient,
  image: ImageReference,
  referrer: BundleReferrer,
): Promise<Buffer> {
  const where = `bundle referrer ${repositoryName(image)}@${referrer.digest}`;
  const { manifest } = await client.getManifest(image, referrer.digest);
  const layer = isIndex(manifest) ? undefined : manifest.layers[0];
  if (isIndex(manifest) || manifest.layers.length !== 1 || layer?.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    throw new SigilError('BAD_MANIFEST', `${where}: expected one layer of type ${BUNDLE_V03_MEDIA_TYPE}`);
  }
  if (manifest.subject?.digest !== image.digest) {
    throw new SigilError(
      'BAD_MANIFEST',
      `${where}: its subject is ${manifest.subject?.digest ?? 'missing'}, not ${image.digest}`,
    );
  }
  return client.getBlob(image, layer.digest);
}

function notFound(image: ImageReference, digest: Digest): never {
  throw new SigilError('REGISTRY_NOT_FOUND', `${repositoryName(image)}@${digest}: image not found`);
}
