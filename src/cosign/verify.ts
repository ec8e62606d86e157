/**
 * `verify` with a public key: every layer of the image's `.sig` artifact is checked (signature over the
 * payload, payload bound to the image digest, repository and annotations, transparency-log policy).
 * The image verifies when at least one signature passes every check, as with cosign; the failures of
 * the others are returned so that a failed verification can say why each signature was rejected.
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { type Digest, fromBase64, mapLimited, messageOf, SigilError } from '../core/index.js';
import { verifySignature } from '../crypto/index.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_SIGNATURE,
  artifactTag,
  type LayerDescriptor,
  layoutSignatureBundle,
  parseRekorBundle,
  parseSimpleSigningPayload,
  parseTimestampAnnotation,
  rekorBundleToTlogEntryJson,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type SignedContent,
  type SimpleSigningPayload,
} from '../formats/index.js';
import {
  formatReference,
  type ImageReference,
  type RegistryClient,
  type Repository,
  repositoryName,
} from '../oci/index.js';
import {
  assertBodyMatches,
  leafHash,
  type RekorClient,
  trustedLogOf,
  verifyRekorEntry,
  verifySignedEntryTimestamp,
} from '../tlog/index.js';
import {
  claimProblems,
  type KeylessTrust,
  type KeylessVerification,
  type TrustedLogKey,
  verifyKeylessBundle,
} from '../verify/index.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from './bundle-referrers.js';
import { bundleSignatureClaims, verifyImageBundles } from './image-bundles.js';
import { readSignatureLayers } from './signature-image.js';
import { signatureRepository } from './signature-repository.js';

export interface VerifyImageOptions {
  client: RegistryClient;
  image: ImageReference;
  /** The signer's key; or `keyless`: the trusted root and the identities to accept. */
  publicKey?: KeyObject;
  keyless?: KeylessTrust;
  annotations?: Record<string, string>;
  /** cosign's --insecure-ignore-tlog: accept signatures without a transparency-log entry. */
  ignoreTlog: boolean;
  /**
   * The trusted logs: an entry's SET is checked with the key of the log it names (if trusted when the entry
   * was integrated); with a client, inclusion proofs are fetched and checked too.
   */
  tlog?: { logs: readonly TrustedLogKey[]; client?: RekorClient };
  checkDockerReference: boolean;
  /** Layers fetched at once; the registry sees at most this many concurrent blob requests. */
  concurrency?: number;
  /** Where the `.sig`/`.att` artifacts live when not where COSIGN_REPOSITORY says (Kyverno's `repository`). */
  signatureRepository?: Repository;
  /** Also accept signature bundles pushed as OCI 1.1 referrers (cosign v3's --new-bundle-format). */
  bundles?: boolean;
  /** Only those bundles: the `.sig`/`.att` artifacts are not read (Kyverno's `type: SigstoreBundle`). */
  bundlesOnly?: boolean;
}

export interface VerifiedSignature {
  layer: LayerDescriptor;
  payload: Buffer;
  /** The simple-signing payload; for a signature bundle, the claims cosign v3 derives from its statement. */
  claims: SignatureClaims;
  /** Keyless signatures: the certificate's identity. */
  keyless?: KeylessVerification;
}

/** What a verified signature says: simple-signing's shape, with the bundle predicate type as `type`. */
export type SignatureClaims = Omit<SimpleSigningPayload, 'critical'> & {
  critical: Omit<SimpleSigningPayload['critical'], 'type'> & { type: string };
};

export interface ImageVerification {
  digest: Digest;
  verified: VerifiedSignature[];
  /** One line per rejected signature: which layer, and why. */
  rejected: string[];
}

export async function verifyImage(options: VerifyImageOptions): Promise<ImageVerification> {
  const { client, image } = options;
  const digest = image.digest ?? (await client.resolveDigest(image));
  const repo = options.signatureRepository ?? signatureRepository(image);
  const existing = options.bundlesOnly
    ? undefined
    : await readSignatureLayers(client, repo, artifactTag(digest, 'sig'), SIMPLE_SIGNING_MEDIA_TYPE);
  const bundled =
    options.bundles || options.bundlesOnly
      ? await verifiedSignatureBundles(options, digest)
      : { verified: [], rejected: [] };
  const layers = existing?.layers ?? [];
  if (layers.length === 0 && bundled.verified.length + bundled.rejected.length === 0) {
    throw new SigilError('NO_SIGNATURES', `no signatures found for ${repositoryName(image)}@${digest}`);
  }
  const outcomes = await mapLimited(layers, options.concurrency ?? 8, (layer) =>
    verifyLayer(options, repo, digest, layer),
  );
  const verified = [...outcomes.filter((o): o is VerifiedSignature => !('reason' in o)), ...bundled.verified];
  const rejected = [
    ...outcomes.flatMap((o, i) =>
      'reason' in o ? [`signature ${i + 1} (${layers[i]?.digest}): ${o.reason}`] : [],
    ),
    ...bundled.rejected,
  ];
  if (verified.length === 0) {
    throw new SigilError(
      rejected.every((r) => r.includes('transparency log')) ? 'TLOG_ENTRY_MISMATCH' : 'SIGNATURE_MISMATCH',
      `no matching signatures for ${repositoryName(image)}@${digest}: ${rejected.join('; ')}`,
    );
  }
  return { digest, verified, rejected };
}

/**
 * Signature bundles (statements of cosign's signing predicate about this digest) that verify, with the
 * claims cosign v3 prints for them. Attestation bundles of other predicate types are not signatures here,
 * although cosign v3's verify accepts them: an SBOM attestation does not say the image was released.
 */
async function verifiedSignatureBundles(
  options: VerifyImageOptions,
  digest: Digest,
): Promise<{ verified: VerifiedSignature[]; rejected: string[] }> {
  const { verified, rejected } = await verifyImageBundles({
    ...options,
    image: { ...options.image, digest },
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
  });
  const accepted: VerifiedSignature[] = [];
  for (const bundle of verified) {
    const claims = bundleSignatureClaims(formatReference(options.image), bundle.statement, digest);
    const missing = Object.entries(options.annotations ?? {}).filter(([k, v]) => claims.optional[k] !== v);
    if (missing.length > 0) {
      rejected.push(
        `bundle ${bundle.referrer.digest}: missing annotations ${missing.map(([k, v]) => `${k}=${v}`).join(', ')}`,
      );
      continue;
    }
    accepted.push({
      layer: bundle.referrer,
      payload: Buffer.from(JSON.stringify(claims)),
      claims,
      ...(bundle.keyless ? { keyless: bundle.keyless } : {}),
    });
  }
  return { verified: accepted, rejected };
}

async function verifyLayer(
  options: VerifyImageOptions,
  repo: Repository,
  digest: Digest,
  layer: LayerDescriptor,
): Promise<VerifiedSignature | { reason: string }> {
  try {
    const encoded = layer.annotations?.[ANNOTATION_SIGNATURE];
    if (!encoded) return { reason: `missing ${ANNOTATION_SIGNATURE} annotation` };
    const payload = await options.client.getBlob(repo, layer.digest);
    const keyless = options.keyless
      ? verifyKeylessLayer(layer, { payload, signatureBase64: encoded }, options.keyless)
      : undefined;
    if (!keyless) {
      if (!options.publicKey) return { reason: 'no public key to verify with' };
      if (!verifySignature(options.publicKey, payload, fromBase64(encoded, 'signature annotation'))) {
        return { reason: 'invalid signature for the given public key' };
      }
    }
    const claims = parseSimpleSigningPayload(payload, 'signature payload');
    const problems = claimProblems(claims, {
      digest,
      repository: options.image,
      checkDockerReference: options.checkDockerReference,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    });
    if (problems.length > 0) return { reason: problems.join(', ') };
    if (keyless) return { layer, payload, claims, keyless };
    if (!options.ignoreTlog) {
      const signature = fromBase64(encoded, 'signature annotation');
      await checkLogEntry(layer, options, (body, key) => assertBodyMatches(body, payload, signature, key));
    }
    return { layer, payload, claims };
  } catch (err) {
    return { reason: messageOf(err) };
  }
}

/**
 * A keyless signature layer carries its certificate, chain and log entry in annotations; as a bundle they
 * go through the keyless verifier (chain, SCT, SET and entry-matches-signature, identity policy).
 */
export function verifyKeylessLayer(
  layer: LayerDescriptor,
  signed: SignedContent,
  trust: KeylessTrust,
): KeylessVerification {
  const bundle = keylessLayerBundle(layer, signed);
  return verifyKeylessBundle(bundle, 'payload' in signed ? signed.payload : Buffer.alloc(0), trust);
}

/** The Sigstore bundle a keyless signature layer's annotations amount to. */
export function keylessLayerBundle(layer: LayerDescriptor, signed: SignedContent): Bundle {
  const annotations = layer.annotations ?? {};
  const certificate = annotations[ANNOTATION_CERTIFICATE];
  if (!certificate)
    throw new SigilError(
      'BAD_CERTIFICATE',
      `no ${ANNOTATION_CERTIFICATE} annotation: signed with a key, not keyless`,
    );
  const chain = annotations[ANNOTATION_CHAIN];
  const logged = annotations[ANNOTATION_BUNDLE];
  const timestamp = annotations[ANNOTATION_RFC3161_TIMESTAMP];
  return layoutSignatureBundle({
    ...signed,
    certificates: [certificate, ...(chain ? splitPemChain(chain) : [])],
    tlogEntries: logged
      ? [rekorBundleToTlogEntryJson(parseRekorBundle(logged, 'bundle annotation'), 'bundle annotation')]
      : [],
    ...(timestamp
      ? { rfc3161Timestamps: [parseTimestampAnnotation(timestamp, ANNOTATION_RFC3161_TIMESTAMP)] }
      : {}),
  });
}

function splitPemChain(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}

/**
 * Signatures must be in a transparency log unless the caller opts out (cosign's rule). The entry must be
 * promised by the trusted log (SET), be about this very signature, key and payload, and, when the log is
 * reachable, be included in its tree under a checkpoint the log signed.
 */
export async function checkLogEntry(
  layer: LayerDescriptor,
  options: Pick<VerifyImageOptions, 'tlog' | 'publicKey'>,
  /** Throws unless the logged body is about this signature by this key. */
  assertBody: (bodyBase64: string, publicKey: KeyObject) => void,
): Promise<void> {
  const annotation = layer.annotations?.[ANNOTATION_BUNDLE];
  if (annotation === undefined) {
    throw new SigilError(
      'TLOG_ENTRY_MISMATCH',
      'signature has no transparency log entry (use --insecure-ignore-tlog to accept unlogged signatures)',
    );
  }
  if (!options.tlog) {
    throw new SigilError(
      'TLOG_ENTRY_MISMATCH',
      'signature carries a transparency log bundle, but no trusted log key is configured (SIGSTORE_REKOR_PUBLIC_KEY)',
    );
  }
  const bundle = parseRekorBundle(annotation, 'bundle annotation');
  const log = trustedLogOf(options.tlog.logs, bundle.Payload);
  verifySignedEntryTimestamp(bundle.Payload, bundle.SignedEntryTimestamp, log);
  if (!options.publicKey) throw new SigilError('BAD_INPUT', 'no public key to verify with');
  assertBody(bundle.Payload.body, options.publicKey);
  if (options.tlog.client) {
    const uuid = leafHash(Buffer.from(bundle.Payload.body, 'base64')).toString('hex');
    const { entry } = await options.tlog.client.entryByUuid(uuid);
    if (entry.body !== bundle.Payload.body)
      throw new SigilError('TLOG_ENTRY_MISMATCH', 'the log holds a different body under this entry');
    verifyRekorEntry(entry, log);
  }
}
