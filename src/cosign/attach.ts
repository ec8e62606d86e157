/**
 * `attach signature` / `attach attestation`: store a signature or DSSE attestation made elsewhere (openssl,
 * an HSM workflow, another machine) in cosign's `.sig` / `.att` artifact, in the same layout `sign` and
 * `attest` write, so that `verify` / `verify-attestation` treat it like one made here. Unlike cosign, the
 * content is checked to be about this image before anything is pushed: a payload for another digest or a
 * statement about another subject could never verify, and attaching it would only hide the mistake.
 */
import {
  type Digest,
  decodePemBlocks,
  fromBase64,
  isRecord,
  parseJson,
  SigilError,
  toBase64,
} from '../core/index.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_SIGNATURE,
  artifactTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  type DsseEnvelope,
  dsseEnvelopeJson,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  parseBlobBundle,
  parseDsseEnvelope,
  parseRekorBundle,
  parseSigstoreBundle,
  parseSimpleSigningPayload,
  parseStatement,
  rekorBundleJson,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type SignatureLayer,
  signatureLayer,
  statementCovers,
  subjectDigests,
  timestampAnnotationJson,
} from '../formats/index.js';
import { type ImageReference, type RegistryClient, type Repository, repositoryName } from '../oci/index.js';
import { ANNOTATION_PREDICATE_TYPE } from './attest.js';
import {
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_TYPE_ANNOTATION,
  CREATED_ANNOTATION,
  pushBundleReferrer,
} from './bundle-referrers.js';
import { pushArtifactImage, readSignatureLayers } from './signature-image.js';
import { signatureRepository } from './signature-repository.js';

/** A file's content and the name to give it in messages. */
export interface InputFile {
  content: Buffer;
  source: string;
}

export interface AttachSignatureOptions {
  client: RegistryClient;
  image: ImageReference;
  /** The simple-signing payload the signature is over. */
  payload: InputFile;
  /** The signature: base64 text (what cosign and `sign-blob` print) or the raw signature bytes. */
  signature: InputFile;
  /** PEM signing certificate, and the PEM chain up to the root (keyless or PKI signers). */
  certificate?: InputFile;
  certificateChain?: InputFile;
  /** cosign's --rekor-response: a cosign bundle `{"base64Signature","cert","rekorBundle"}` with the log's SET. */
  rekorResponse?: InputFile;
  /** cosign's --tsr: a DER RFC 3161 timestamp response over the signature. */
  timestampResponse?: InputFile;
}

export interface AttachResult {
  digest: Digest;
  /** Where it was stored: the `.sig` / `.att` tag, or the referrer manifest's digest for a bundle. */
  reference: string;
  /** How many layers were added (attaching what is already there adds nothing). */
  added: number;
}

export async function attachSignature(options: AttachSignatureOptions): Promise<AttachResult> {
  const { client, image } = options;
  const digest = await existingImageDigest(client, image);
  const claims = parseSimpleSigningPayload(options.payload.content, `payload ${options.payload.source}`);
  const signed = claims.critical.image['docker-manifest-digest'];
  if (signed !== digest) {
    throw new SigilError(
      'PAYLOAD_MISMATCH',
      `payload ${options.payload.source} is for digest ${signed}, not ${repositoryName(image)}@${digest}`,
    );
  }
  const layer = signatureLayer(
    options.payload.content,
    signatureBase64(options.signature),
    signatureLayerAnnotations(options),
  );
  const target = signatureRepository(image);
  const tag = artifactTag(digest, 'sig');
  const added = await appendLayers(client, target, tag, SIMPLE_SIGNING_MEDIA_TYPE, [layer]);
  return { digest, reference: `${repositoryName(target)}:${tag}`, added };
}

/** The certificate, chain, log bundle and timestamp annotations, each checked to be what it claims. */
function signatureLayerAnnotations(options: AttachSignatureOptions): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (options.certificate) annotations[ANNOTATION_CERTIFICATE] = certificatesPem(options.certificate);
  if (options.certificateChain) annotations[ANNOTATION_CHAIN] = certificatesPem(options.certificateChain);
  if (options.rekorResponse) {
    const where = `rekor response ${options.rekorResponse.source}`;
    const parsed = parseBlobBundle(options.rekorResponse.content, where);
    if (parsed.format !== 'legacy' || parsed.bundle.rekorBundle === undefined) {
      throw new SigilError(
        'BAD_BUNDLE',
        `${where}: expected a cosign bundle with a "rekorBundle" (sign-blob --new-bundle-format=false --bundle)`,
      );
    }
    const rekorBundle = parseRekorBundle(JSON.stringify(parsed.bundle.rekorBundle), `${where}: rekorBundle`);
    annotations[ANNOTATION_BUNDLE] = rekorBundleJson(rekorBundle);
  }
  if (options.timestampResponse) {
    annotations[ANNOTATION_RFC3161_TIMESTAMP] = timestampAnnotationJson(options.timestampResponse.content);
  }
  return annotations;
}

/** PEM text holding only certificates, as stored in the certificate and chain annotations. */
function certificatesPem(file: InputFile): string {
  const text = file.content.toString('utf8');
  const other = decodePemBlocks(text, file.source).find((b) => b.label !== 'CERTIFICATE');
  if (other) {
    throw new SigilError(
      'BAD_PEM',
      `${file.source}: expected CERTIFICATE PEM blocks, found "${other.label}"`,
    );
  }
  return text;
}

const BASE64_TEXT = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The signature as the base64 the annotation holds. cosign takes base64 only; raw bytes (`openssl dgst
 * -sign` output) are accepted too, told apart by not being base64 text. Either way the bytes must have the
 * shape of an ECDSA, Ed25519 or RSA signature, so that a wrong file is refused here rather than attached.
 */
function signatureBase64(file: InputFile): string {
  const text = file.content.toString('latin1').replace(/\s+/g, '');
  if (text.length === 0) throw new SigilError('BAD_INPUT', `signature ${file.source} is empty`);
  const isText = BASE64_TEXT.test(text) && text.length % 4 === 0;
  const raw = isText ? fromBase64(text, `signature ${file.source}`) : file.content;
  if (!plausibleSignature(raw)) {
    const form = isText ? 'base64 that decodes to' : 'not base64, and its';
    throw new SigilError(
      'BAD_INPUT',
      `signature ${file.source}: ${form} ${raw.length} bytes, which are not an ECDSA (DER), Ed25519 or RSA signature`,
    );
  }
  return toBase64(raw);
}

/** Byte lengths of signatures without structure: Ed25519 / P-256 r||s (64), P-384 (96), P-521 (132), RSA. */
const FIXED_SIGNATURE_LENGTHS = new Set([64, 96, 132, 128, 256, 384, 512]);

function plausibleSignature(bytes: Buffer): boolean {
  return FIXED_SIGNATURE_LENGTHS.has(bytes.length) || isDerEcdsaSignature(bytes);
}

/** ECDSA-Sig-Value: SEQUENCE { r INTEGER, s INTEGER }, the length in short form or (P-521) 0x81 form. */
function isDerEcdsaSignature(bytes: Buffer): boolean {
  if (bytes[0] !== 0x30 || bytes.length < 8) return false;
  const longForm = bytes[1] === 0x81;
  const length = longForm ? bytes[2] : bytes[1];
  const start = longForm ? 3 : 2;
  return length !== undefined && length < 0x100 && start + length === bytes.length && bytes[start] === 0x02;
}

export interface AttachAttestationOptions {
  client: RegistryClient;
  image: ImageReference;
  /** A file of DSSE envelope JSON, one or several (one per line), or one Sigstore bundle holding one. */
  attestation: InputFile;
}

/**
 * Stores every envelope of the file in the image's `.att` artifact with the statement's predicate type as
 * annotation; a Sigstore bundle (cosign v3's format) becomes a referrer of the image instead. Every
 * envelope is checked (in-toto payload, a subject that is this image) before the first is pushed.
 */
export async function attachAttestation(options: AttachAttestationOptions): Promise<AttachResult> {
  const { client, image, attestation } = options;
  const digest = await existingImageDigest(client, image);
  const where = `attestation ${attestation.source}`;
  const values = jsonValues(attestation.content, where);
  const [first] = values;
  if (values.length === 1 && isRecord(first?.value) && typeof first.value.mediaType === 'string') {
    return attachAttestationBundle(client, { ...image, digest }, first.value, where);
  }
  const layers = values.map(({ value, where: at }) => {
    const envelope = parseDsseEnvelope(JSON.stringify(value), at);
    const statement = attestedStatement(envelope, digest, at);
    return signatureLayer(
      Buffer.from(dsseEnvelopeJson(envelope)),
      '',
      { [ANNOTATION_PREDICATE_TYPE]: statement.predicateType },
      DSSE_ENVELOPE_MEDIA_TYPE,
    );
  });
  const target = signatureRepository(image);
  const tag = artifactTag(digest, 'att');
  const added = await appendLayers(client, target, tag, DSSE_ENVELOPE_MEDIA_TYPE, layers);
  return { digest, reference: `${repositoryName(target)}:${tag}`, added };
}

/** The in-toto statement an envelope carries, refused unless it is about the image with `digest`. */
function attestedStatement(envelope: DsseEnvelope, digest: Digest, where: string): InTotoStatement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SigilError(
      'BAD_INPUT',
      `${where}: payloadType is ${envelope.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  const statement = parseStatement(envelope.payload, where);
  if (!statementCovers(statement, digest)) {
    throw new SigilError(
      'PAYLOAD_MISMATCH',
      `${where}: the statement is about ${subjectDigests(statement).join(', ')}, not ${digest}`,
    );
  }
  return statement;
}

async function attachAttestationBundle(
  client: RegistryClient,
  image: ImageReference & { digest: Digest },
  json: Record<string, unknown>,
  where: string,
): Promise<AttachResult> {
  const bundle = parseSigstoreBundle(json, where);
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new SigilError('BAD_BUNDLE', `${where}: the bundle holds no DSSE envelope`);
  }
  const { payloadType, payload, signatures } = bundle.content.dsseEnvelope;
  const envelope = { payloadType, payload, signatures: signatures.map((s) => ({ sig: s.sig })) };
  const statement = attestedStatement(envelope, image.digest, where);
  const referrer = await pushBundleReferrer(client, image, Buffer.from(JSON.stringify(json)), {
    [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
    [BUNDLE_PREDICATE_TYPE_ANNOTATION]: statement.predicateType,
    [CREATED_ANNOTATION]: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  return { digest: image.digest, reference: `${repositoryName(image)}@${referrer}`, added: 1 };
}

/**
 * The JSON values of an attestation file: the whole file when it is one value (pretty-printed or not),
 * otherwise one value per non-empty line (cosign reads a stream of envelopes).
 */
function jsonValues(content: Buffer, where: string): { value: unknown; where: string }[] {
  const text = content.toString('utf8');
  try {
    return [{ value: JSON.parse(text), where }];
  } catch {
    const lines = text.split('\n').flatMap((line, i) => (line.trim() ? [{ line, at: i + 1 }] : []));
    if (lines.length < 2) parseJson(text, where); // throws the one-line error naming the file
    return lines.map(({ line, at }) => ({
      value: parseJson(line, `${where} line ${at}`),
      where: `${where} line ${at}`,
    }));
  }
}

/** The digest of the image, which must exist: attaching to nothing would store an orphan artifact. */
async function existingImageDigest(client: RegistryClient, image: ImageReference): Promise<Digest> {
  const digest = await client.resolveDigest(image);
  if (image.digest && !(await client.headManifest(image, digest))) {
    throw new SigilError('REGISTRY_NOT_FOUND', `image ${repositoryName(image)}@${digest} not found`);
  }
  return digest;
}

/**
 * Appends `layers` to the artifact at `tag`, skipping any already there with the same content and
 * signature, one manifest write per layer (as cosign does), each keeping what came before.
 */
async function appendLayers(
  client: RegistryClient,
  repo: Repository,
  tag: string,
  mediaType: string,
  layers: readonly SignatureLayer[],
): Promise<number> {
  let added = 0;
  for (const layer of layers) {
    const existing = await readSignatureLayers(client, repo, tag, mediaType);
    const present = existing?.layers ?? [];
    const { digest, annotations } = layer.descriptor;
    const signature = annotations?.[ANNOTATION_SIGNATURE];
    if (present.some((l) => l.digest === digest && l.annotations?.[ANNOTATION_SIGNATURE] === signature)) {
      continue;
    }
    await pushArtifactImage(client, repo, tag, existing, [...present, layer.descriptor], layer);
    added += 1;
  }
  return added;
}
