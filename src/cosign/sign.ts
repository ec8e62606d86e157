/**
 * `sign`: sign the digest an image reference resolves to and append the signature to cosign's `.sig`
 * image for that digest (existing signatures are kept; an identical signature is not added twice).
 */
import { type Digest, toBase64 } from '../core/index.js';
import { type Signer, verifierPem, verifySignature } from '../crypto/index.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_SIGNATURE,
  artifactTag,
  buildSimpleSigningPayload,
  type LayerDescriptor,
  rekorBundleJson,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureLayer,
  timestampAnnotationJson,
} from '../formats/index.js';
import { type ImageReference, type RegistryClient, repositoryName } from '../oci/index.js';
import { hashedRekordProposal, type RekorClient } from '../tlog/index.js';
import { requestTimestamp } from '../tsa/index.js';
import { pushArtifactImage, readSignatureLayers } from './signature-image.js';
import { signatureRepository } from './signature-repository.js';

export interface SignImageOptions {
  client: RegistryClient;
  signer: Signer;
  image: ImageReference;
  annotations?: Record<string, string>;
  /** cosign's --sign-container-identity: the docker-reference to claim instead of the image's repository. */
  signContainerIdentity?: string;
  /** cosign's --upload=false: sign but push nothing. */
  upload?: boolean;
  /** The transparency log to record the signature in (its SET goes into the bundle annotation). */
  tlog?: RekorClient;
  /** An RFC 3161 timestamp authority (cosign's --timestamp-server-url): a trusted signing time. */
  tsaUrl?: string;
  progress?: (message: string) => void;
}

export interface SignImageResult {
  digest: Digest;
  payload: Buffer;
  signature: string;
  /** The `.sig` reference the signature was pushed to, when uploaded. */
  signatureReference?: string;
  /** False when an identical signature was already there and nothing was appended. */
  appended: boolean;
}

export async function signImage(options: SignImageOptions): Promise<SignImageResult> {
  const { client, image, signer } = options;
  const progress = options.progress ?? (() => {});
  const digest = image.digest ?? (await client.resolveDigest(image));
  const payload = buildSimpleSigningPayload(
    options.signContainerIdentity ?? repositoryName(image),
    digest,
    options.annotations,
  );
  const rawSignature = await signer.sign(payload);
  const signature = toBase64(rawSignature);
  const annotations = await signatureAnnotations(
    signer,
    rawSignature,
    () => hashedRekordProposal(payload, rawSignature, verifierPem(signer)),
    options,
  );
  if (options.upload === false) return { digest, payload, signature, appended: false };

  const target = signatureRepository(image);
  const tag = artifactTag(digest, 'sig');
  const signatureReference = `${repositoryName(target)}:${tag}`;
  progress(`Pushing signature to: ${repositoryName(target)}`);
  const existing = await readSignatureLayers(client, target, tag, SIMPLE_SIGNING_MEDIA_TYPE);
  const layer = signatureLayer(payload, signature, annotations);
  if (existing && alreadySigned(existing.layers, layer.descriptor, payload, signer)) {
    progress('An identical signature is already present; nothing to append');
    return { digest, payload, signature, signatureReference, appended: false };
  }
  await pushArtifactImage(
    client,
    target,
    tag,
    existing,
    [...(existing?.layers ?? []), layer.descriptor],
    layer,
  );
  return { digest, payload, signature, signatureReference, appended: true };
}

/**
 * The annotations every cosign signature layer carries besides the signature: the certificate and chain
 * of a keyless signer, an RFC 3161 timestamp over the signature, and the log's promise (SET) for the
 * entry `proposal` describes.
 */
export async function signatureAnnotations(
  signer: Signer,
  rawSignature: Uint8Array,
  proposal: () => unknown,
  options: { tlog?: RekorClient; tsaUrl?: string; progress?: (message: string) => void },
): Promise<Record<string, string>> {
  const progress = options.progress ?? (() => {});
  const annotations: Record<string, string> = {};
  const [certificate, ...chain] = signer.certificateChain ?? [];
  if (certificate) {
    annotations[ANNOTATION_CERTIFICATE] = certificate;
    annotations[ANNOTATION_CHAIN] = chain.join('');
  }
  if (options.tsaUrl) {
    progress(`Requesting a signed timestamp from ${options.tsaUrl}`);
    annotations[ANNOTATION_RFC3161_TIMESTAMP] = timestampAnnotationJson(
      await requestTimestamp(options.tsaUrl, rawSignature),
    );
  }
  if (options.tlog) {
    progress(`Uploading the signature to the transparency log at ${options.tlog.baseUrl}`);
    const logged = await options.tlog.createEntry(proposal());
    progress(`tlog entry created with index: ${logged.entry.logIndex}`);
    annotations[ANNOTATION_BUNDLE] = rekorBundleJson({
      SignedEntryTimestamp: logged.entry.verification.signedEntryTimestamp,
      Payload: logged.entry,
    });
  }
  return annotations;
}

/**
 * cosign's duplicate detection: a layer with the same payload whose signature verifies with the signer's
 * key is the same signature (ECDSA signatures differ on every run, so bytes cannot be compared).
 */
function alreadySigned(
  layers: readonly LayerDescriptor[],
  candidate: LayerDescriptor,
  payload: Buffer,
  signer: Signer,
): boolean {
  return layers.some((existing) => {
    const signature = existing.annotations?.[ANNOTATION_SIGNATURE];
    return (
      existing.digest === candidate.digest &&
      signature !== undefined &&
      verifySignature(signer.publicKey, payload, Buffer.from(signature, 'base64'))
    );
  });
}
