/**
 * `attest`: an in-toto statement about the digest an image reference resolves to, signed as a DSSE
 * envelope, logged as an `intoto` entry, and stored as a layer of cosign's `.att` artifact with a
 * `predicateType` annotation. As cosign does, a new attestation is appended unless `replace` is set, in
 * which case attestations of the same predicate type are dropped first.
 */
import type { Digest } from '../core/index.js';
import { type Signer, verifierPem } from '../crypto/index.js';
import {
  artifactTag,
  buildPredicate,
  buildStatement,
  DSSE_ENVELOPE_MEDIA_TYPE,
  type DsseEnvelope,
  dsseEnvelopeJson,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  preAuthEncoding,
  predicateTypeFor,
  signatureLayer,
} from '../formats/index.js';
import { type ImageReference, type RegistryClient, repositoryName } from '../oci/index.js';
import { intotoProposal, type RekorClient } from '../tlog/index.js';
import { signatureAnnotations } from './sign.js';
import { pushArtifactImage, readSignatureLayers } from './signature-image.js';
import { signatureRepository } from './signature-repository.js';

export const ANNOTATION_PREDICATE_TYPE = 'predicateType';

export interface AttestImageOptions {
  client: RegistryClient;
  signer: Signer;
  image: ImageReference;
  /** cosign's --type: a shorthand (spdxjson, cyclonedx, vuln, slsaprovenance1, ...) or a URI. */
  type: string;
  /** The predicate file's bytes and its name for messages. */
  predicate: Uint8Array;
  predicateSource: string;
  /** cosign's --replace: drop existing attestations of the same predicate type. */
  replace?: boolean;
  upload?: boolean;
  tlog?: RekorClient;
  tsaUrl?: string;
  progress?: (message: string) => void;
}

export interface AttestImageResult {
  digest: Digest;
  statement: InTotoStatement;
  envelope: DsseEnvelope;
  /** The `.att` reference the attestation was pushed to, when uploaded. */
  attestationReference?: string;
}

export async function attestImage(options: AttestImageOptions): Promise<AttestImageResult> {
  const { client, image, signer } = options;
  const progress = options.progress ?? (() => {});
  const predicateType = predicateTypeFor(options.type);
  const predicate = buildPredicate(options.type, options.predicate, options.predicateSource);
  const digest = image.digest ?? (await client.resolveDigest(image));
  const statement = buildStatement(repositoryName(image), digest, predicateType, predicate);
  const payload = Buffer.from(JSON.stringify(statement));
  const signature = await signer.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload));
  const envelope: DsseEnvelope = {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload,
    signatures: [{ sig: Buffer.from(signature) }],
  };
  const annotations = await signatureAnnotations(
    signer,
    signature,
    () => intotoProposal(envelope, verifierPem(signer)),
    options,
  );
  if (options.upload === false) return { digest, statement, envelope };

  const target = signatureRepository(image);
  const tag = artifactTag(digest, 'att');
  progress(`Pushing attestation to: ${repositoryName(target)}`);
  // cosign leaves the signature annotation empty on attestations: the signature is inside the envelope.
  const layer = signatureLayer(
    Buffer.from(dsseEnvelopeJson(envelope)),
    '',
    { ...annotations, [ANNOTATION_PREDICATE_TYPE]: predicateType },
    DSSE_ENVELOPE_MEDIA_TYPE,
  );
  const existing = await readSignatureLayers(client, target, tag, DSSE_ENVELOPE_MEDIA_TYPE);
  const kept = (existing?.layers ?? []).filter(
    (l) => !options.replace || l.annotations?.[ANNOTATION_PREDICATE_TYPE] !== predicateType,
  );
  await pushArtifactImage(client, target, tag, existing, [...kept, layer.descriptor], layer);
  return { digest, statement, envelope, attestationReference: `${repositoryName(target)}:${tag}` };
}
