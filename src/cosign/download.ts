/**
 * `download signature` / `download attestation`: what is stored about an image, printed as cosign prints
 * it, one JSON value per line. Like cosign v3, Sigstore bundles stored as referrers come first: when the
 * image has any, `download signature` prints those bundles (all of them, signatures and attestations
 * alike, as cosign does) instead of the `.sig` artifact; `download attestation` prints the bundles and
 * then the `.att` envelopes. Nothing is verified here; that is what `verify` is for.
 */
import {
  type Digest,
  type ErrorCode,
  isSigilError,
  mapLimited,
  parseJson,
  SigilError,
} from '../core/index.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_SIGNATURE,
  artifactTag,
  type Bundle,
  DSSE_ENVELOPE_MEDIA_TYPE,
  dsseEnvelopeJson,
  type LayerDescriptor,
  parseDsseEnvelope,
  parseRekorBundle,
  parseSigstoreBundle,
  parseStatement,
  parseTimestampAnnotation,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from '../formats/index.js';
import { type ImageReference, type RegistryClient, type Repository, repositoryName } from '../oci/index.js';
import { fetchReferrerBundle, listBundleReferrers } from './bundle-referrers.js';
import { goCertificatesJson } from './go-certificate.js';
import { readSignatureLayers } from './signature-image.js';
import { signatureRepository } from './signature-repository.js';

/** Layers fetched at once. */
const CONCURRENCY = 8;

/**
 * cosign's `SignedPayload` JSON for each signature of the `.sig` artifact (Go field names; absent parts
 * are null), or the bundles stored as referrers when there are any.
 */
export async function downloadSignatures(client: RegistryClient, image: ImageReference): Promise<string[]> {
  const digest = await client.resolveDigest(image);
  const bundles = await referrerBundles(client, { ...image, digest });
  if (bundles.length > 0) return bundles.map(({ json }) => JSON.stringify(json));

  const repo = signatureRepository(image);
  const tag = artifactTag(digest, 'sig');
  const artifact = await readSignatureLayers(client, repo, tag, SIMPLE_SIGNING_MEDIA_TYPE);
  if (!artifact || artifact.layers.length === 0) {
    throw new SigilError('NO_SIGNATURES', `no signatures associated with ${repositoryName(image)}@${digest}`);
  }
  return mapLimited(artifact.layers, CONCURRENCY, (layer) => signedPayloadJson(client, repo, tag, layer));
}

async function signedPayloadJson(
  client: RegistryClient,
  repo: Repository,
  tag: string,
  layer: LayerDescriptor,
): Promise<string> {
  const where = `${repositoryName(repo)}:${tag} layer ${layer.digest}`;
  const annotation = (key: string) => layer.annotations?.[key] || undefined;
  const signature = annotation(ANNOTATION_SIGNATURE);
  if (signature === undefined) {
    throw new SigilError('BAD_MANIFEST', `${where} is missing the ${ANNOTATION_SIGNATURE} annotation`);
  }
  const certificate = annotation(ANNOTATION_CERTIFICATE);
  const chain = annotation(ANNOTATION_CHAIN);
  const bundle = annotation(ANNOTATION_BUNDLE);
  const timestamp = annotation(ANNOTATION_RFC3161_TIMESTAMP);
  return JSON.stringify({
    Base64Signature: signature,
    Payload: (await client.getBlob(repo, layer.digest)).toString('base64'),
    Cert: certificate ? (goCertificatesJson(certificate, `${where} certificate`)[0] ?? null) : null,
    Chain: chain ? goCertificatesJson(chain, `${where} chain`) : null,
    Bundle: bundle ? parseRekorBundle(bundle, `${where} bundle`) : null,
    RFC3161Timestamp: timestamp
      ? { SignedRFC3161Timestamp: parseTimestampAnnotation(timestamp, `${where} timestamp`) }
      : null,
  });
}

export interface DownloadAttestationsOptions {
  /** Only attestations whose statement has this predicate type (a URI; see predicateTypeFor). */
  predicateType?: string;
}

/**
 * The attestations of an image, one JSON line each: the Sigstore bundles stored as referrers, then the
 * DSSE envelopes of the `.att` artifact. An image without attestations gives no lines, unless a
 * predicate type was asked for (cosign's behaviour).
 */
export async function downloadAttestations(
  client: RegistryClient,
  image: ImageReference,
  options: DownloadAttestationsOptions = {},
): Promise<string[]> {
  const { predicateType } = options;
  const digest = await client.resolveDigest(image);
  const bundles = (await referrerBundles(client, { ...image, digest })).filter(
    ({ bundle }) => predicateType === undefined || bundlePredicateType(bundle) === predicateType,
  );
  const envelopes = await attestationEnvelopes(client, image, digest, predicateType);
  const lines = [...bundles.map(({ json }) => JSON.stringify(json)), ...envelopes];
  if (predicateType !== undefined && lines.length === 0) {
    throw new SigilError(
      'NOT_FOUND',
      `no attestations with predicate type '${predicateType}' found for ${repositoryName(image)}@${digest}`,
    );
  }
  return lines;
}

async function attestationEnvelopes(
  client: RegistryClient,
  image: ImageReference,
  digest: Digest,
  predicateType: string | undefined,
): Promise<string[]> {
  const repo = signatureRepository(image);
  const tag = artifactTag(digest, 'att');
  const artifact = await readSignatureLayers(client, repo, tag, DSSE_ENVELOPE_MEDIA_TYPE);
  const found = await mapLimited(artifact?.layers ?? [], CONCURRENCY, async (layer) => {
    const where = `${repositoryName(repo)}:${tag} layer ${layer.digest}`;
    const envelope = parseDsseEnvelope(await client.getBlob(repo, layer.digest), where);
    if (
      predicateType !== undefined &&
      parseStatement(envelope.payload, where).predicateType !== predicateType
    ) {
      return [];
    }
    return [dsseEnvelopeJson(envelope)];
  });
  return found.flat();
}

/** The predicate type of the statement a DSSE bundle carries; none for a message-signature bundle. */
function bundlePredicateType(bundle: Bundle): string | undefined {
  if (bundle.content.$case !== 'dsseEnvelope') return undefined;
  try {
    return parseStatement(bundle.content.dsseEnvelope.payload, 'bundle').predicateType;
  } catch {
    return undefined;
  }
}

/** What a referrer that holds no loadable bundle fails with (registry failures still count). */
const NOT_A_BUNDLE = new Set<ErrorCode>(['BAD_JSON', 'BAD_BUNDLE', 'BAD_MANIFEST']);

/**
 * The valid Sigstore bundles among the image's referrers. As cosign does, a referrer that does not hold a
 * loadable bundle is passed over: referrers are written by many tools, and one bad entry must not hide
 * the others.
 */
async function referrerBundles(
  client: RegistryClient,
  image: ImageReference & { digest: Digest },
): Promise<{ json: unknown; bundle: Bundle }[]> {
  const found = await mapLimited(await listBundleReferrers(client, image), CONCURRENCY, async (referrer) => {
    try {
      const json = parseJson(await fetchReferrerBundle(client, image, referrer), 'bundle');
      return [{ json, bundle: parseSigstoreBundle(json, 'bundle') }];
    } catch (err) {
      if (isSigilError(err) && NOT_A_BUNDLE.has(err.code)) return [];
      throw err;
    }
  });
  return found.flat();
}
