/**
 * Notation signatures in a registry: OCI image manifests whose config media type (hence the referrers
 * list's artifactType) is `application/vnd.cncf.notary.signature`, with the `{}` config, one layer holding
 * the envelope, the signed manifest as subject, the chain's thumbprints and creation time annotated found through the referrers API, or the
 * referrers tag schema where the registry has none (oci/referrers.ts keeps that index).
 */
import { type Digest, SigilError } from '../core/index.js';
import {
  type Descriptor,
  type ImageReference,
  isIndex,
  OCI_MANIFEST,
  pushReferrer,
  type RegistryClient,
  type Repository,
  repositoryName,
} from '../oci/index.js';
import { ENVELOPE_MEDIA_TYPES } from './envelope.js';
import { CREATED_ANNOTATION, NOTATION_ARTIFACT_TYPE, THUMBPRINT_ANNOTATION } from './media-types.js';
import type { FetchedSignature } from './verify.js';

/** The OCI empty descriptor's content: `{}`. */
const EMPTY_JSON = Buffer.from('{}');

/** The artifact's descriptor as a signature names it: the manifest's media type, digest and size. */
export async function resolveTarget(client: RegistryClient, ref: ImageReference): Promise<Descriptor> {
  const fetched = await client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
  return { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length };
}

export interface PushSignatureOptions {
  envelope: Buffer;
  envelopeMediaType: string;
  /** Lower-case hex SHA-256 of each certificate of the chain, leaf first. */
  thumbprints: string[];
  signingTime: Date;
}

/** Pushes the signature manifest of `subject` (in `repo`) and returns its digest. */
export async function pushSignature(
  client: RegistryClient,
  repo: Repository,
  subject: Descriptor,
  options: PushSignatureOptions,
): Promise<Digest> {
  const config = await client.pushBlob(repo, EMPTY_JSON);
  const layer = await client.pushBlob(repo, options.envelope);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    // notation's default form (its --force-referrers-tag): the artifact type as the config's media type,
    // which image-spec 1.0 registries accept and the referrers list reports as the artifactType.
    config: { mediaType: NOTATION_ARTIFACT_TYPE, ...config },
    layers: [{ mediaType: options.envelopeMediaType, ...layer }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: {
      [THUMBPRINT_ANNOTATION]: JSON.stringify(options.thumbprints),
      [CREATED_ANNOTATION]: options.signingTime.toISOString().replace('.000Z', 'Z'),
    },
  };
  return pushReferrer(client, repo, Buffer.from(JSON.stringify(manifest)));
}

/** The Notation signature manifests that refer to `digest`, as the referrers list describes them. */
export async function listSignatures(
  client: RegistryClient,
  repo: Repository,
  digest: Digest,
): Promise<Descriptor[]> {
  return client.referrers(repo, digest, { artifactType: NOTATION_ARTIFACT_TYPE });
}

/** A signature manifest's envelope, checked to be the one envelope layer of a signature of `subject`. */
export async function fetchSignature(
  client: RegistryClient,
  repo: Repository,
  subject: Digest,
  signature: Digest,
): Promise<FetchedSignature> {
  const where = `signature manifest ${repositoryName(repo)}@${signature}`;
  const { manifest } = await client.getManifest(repo, signature);
  if (isIndex(manifest))
    throw new SigilError('BAD_MANIFEST', `${where}: is an index, not a signature manifest`);
  const layer = manifest.layers[0];
  if (manifest.layers.length !== 1 || !layer) {
    throw new SigilError(
      'BAD_MANIFEST',
      `${where}: has ${manifest.layers.length} layers, a signature has one`,
    );
  }
  if (manifest.subject?.digest !== subject) {
    throw new SigilError(
      'BAD_MANIFEST',
      `${where}: its subject is ${manifest.subject?.digest ?? 'missing'}, not ${subject}`,
    );
  }
  // An envelope of a type no verifier reads is not downloaded: the integrity check names its type.
  const envelope = ENVELOPE_MEDIA_TYPES.includes(layer.mediaType)
    ? await client.getBlob(repo, layer.digest)
    : Buffer.alloc(0);
  return { digest: signature, mediaType: layer.mediaType, envelope };
}
