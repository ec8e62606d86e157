/**
 * Image signatures and attestations as Sigstore bundles, cosign v3's `--new-bundle-format`: an in-toto
 * statement about the image digest in a DSSE envelope, logged as a `dsse` entry, packed in a v0.3 bundle
 * and pushed as an OCI 1.1 referrer of the image. A signature is such a statement with predicate type
 * https://sigstore.dev/cosign/sign/v1, an empty predicate and the `-a` annotations on the subject.
 */
import type { KeyObject } from 'node:crypto';
import { type Digest, SigilError } from '../core/index.js';
import type { Signer } from '../crypto/index.js';
import {
  buildStatement,
  type DsseEnvelope,
  type InTotoStatement,
  parseBlobBundle,
} from '../formats/index.js';
import { type ImageReference, type RegistryClient, type Repository, repositoryName } from '../oci/index.js';
import type { RekorClient } from '../tlog/index.js';
import {
  type KeylessTrust,
  type KeylessVerification,
  type TrustedLogKey,
  verifyBlobAttestation,
} from '../verify/index.js';
import { attestBlob } from './blob.js';
import {
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_TYPE_ANNOTATION,
  type BundleReferrer,
  CREATED_ANNOTATION,
  fetchReferrerBundle,
  listBundleReferrers,
  pushBundleReferrer,
} from './bundle-referrers.js';
import { signatureRepository } from './signature-repository.js';

export interface ImageBundleSignOptions {
  client: RegistryClient;
  signer: Signer;
  tlog?: RekorClient;
  tsaUrl?: string;
  /** The image; its digest is resolved when it is given by tag. */
  image: ImageReference;
  predicateType: string;
  predicate: unknown;
  /** Signed with the subject (cosign's `-a`), for signatures. */
  subjectAnnotations?: Record<string, string>;
  /** Push the bundle as a referrer of the image (cosign's --upload). */
  upload: boolean;
}

export interface ImageBundleSignResult {
  digest: Digest;
  bundle: string;
  statement: InTotoStatement;
  /** The referrer manifest's digest, when pushed. */
  referrer?: Digest;
}

export async function signImageBundle(options: ImageBundleSignOptions): Promise<ImageBundleSignResult> {
  const { client, image } = options;
  const digest = image.digest ?? (await client.resolveDigest(image));
  const statement = buildStatement(repositoryName(image), digest, options.predicateType, options.predicate);
  const annotations = options.subjectAnnotations ?? {};
  if (Object.keys(annotations).length > 0 && statement.subject[0])
    statement.subject[0].annotations = annotations;
  const bundle = await attestBlob(options.signer, statement, options.tlog, options.tsaUrl);
  if (!options.upload) return { digest, bundle, statement };
  // As cosign v3 does, COSIGN_REPOSITORY moves the referrer (and its tag-schema index) to that repository.
  const subject = { ...image, digest };
  const referrer = await pushBundleReferrer(
    client,
    subject,
    Buffer.from(bundle),
    {
      [CREATED_ANNOTATION]: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
      [BUNDLE_PREDICATE_TYPE_ANNOTATION]: options.predicateType,
    },
    signatureRepository(image),
  );
  return { digest, bundle, statement, referrer };
}

export interface ImageBundleVerifyOptions {
  client: RegistryClient;
  /** The image, with its digest. */
  image: ImageReference & { digest: Digest };
  publicKey?: KeyObject;
  keyless?: KeylessTrust;
  ignoreTlog: boolean;
  /** The trusted logs; a bundle's entries are checked against the one each names. */
  tlog?: { logs: readonly TrustedLogKey[] };
  /** Only statements of this predicate type count (any, when not given). */
  predicateType?: string;
  /** Where the referrers are when not where COSIGN_REPOSITORY says (Kyverno's `repository`). */
  signatureRepository?: Repository;
}

export interface VerifiedImageBundle {
  referrer: BundleReferrer;
  envelope: DsseEnvelope;
  statement: InTotoStatement;
  keyless?: KeylessVerification;
}

/**
 * The image's bundle referrers that verify: signature and log entry as `verify-blob-attestation` checks
 * them, a statement about this digest, of the predicate type asked for. The predicate-type annotation of
 * the referrer only narrows the search; the signed statement decides.
 */
export async function verifyImageBundles(
  options: ImageBundleVerifyOptions,
): Promise<{ verified: VerifiedImageBundle[]; rejected: string[] }> {
  const { client } = options;
  const image = {
    ...(options.signatureRepository ?? signatureRepository(options.image)),
    digest: options.image.digest,
  };
  const verified: VerifiedImageBundle[] = [];
  const rejected: string[] = [];
  let referrers: BundleReferrer[];
  try {
    referrers = await listBundleReferrers(client, image);
  } catch (err) {
    // As cosign v3 does, a registry that cannot list referrers leaves the .sig/.att signatures to decide;
    // one that does not answer at all is no verdict, for the caller to decide on.
    if (!(err instanceof SigilError) || err.code === 'REGISTRY_UNREACHABLE') throw err;
    return { verified, rejected: [`referrers of ${image.digest}: ${err.message}`] };
  }
  for (const referrer of referrers) {
    const annotated = referrer.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
    if (
      options.predicateType !== undefined &&
      annotated !== undefined &&
      annotated !== options.predicateType
    ) {
      continue;
    }
    const where = `bundle ${referrer.digest}`;
    try {
      const parsed = parseBlobBundle(await fetchReferrerBundle(client, image, referrer), where);
      const result = verifyBlobAttestation(
        {
          ignoreTlog: options.ignoreTlog,
          subjectDigest: image.digest,
          ...(options.predicateType ? { predicateType: options.predicateType } : {}),
          ...(options.publicKey ? { publicKey: options.publicKey } : {}),
          ...(options.keyless ? { keyless: options.keyless } : {}),
          ...(options.tlog ? { tlogKeys: options.tlog.logs } : {}),
        },
        parsed,
        where,
      );
      const content = parsed.format === 'sigstore' ? parsed.bundle.content : undefined;
      if (content?.$case !== 'dsseEnvelope') continue; // verifyBlobAttestation has refused it already
      verified.push({
        referrer,
        envelope: content.dsseEnvelope as DsseEnvelope,
        statement: result.statement,
        ...(result.keyless ? { keyless: result.keyless } : {}),
      });
    } catch (err) {
      if (!(err instanceof SigilError) || err.code.startsWith('REGISTRY_')) throw err;
      // Most messages name the bundle already (the verifier is given `where`).
      rejected.push(err.message.startsWith(where) ? err.message : `${where}: ${err.message}`);
    }
  }
  return { verified, rejected };
}

/** cosign v3's claims for a signature bundle, shaped like the simple-signing payload `verify` prints. */
export function bundleSignatureClaims(reference: string, statement: InTotoStatement, digest: Digest) {
  return {
    critical: {
      identity: { 'docker-reference': reference },
      image: { 'docker-manifest-digest': digest },
      type: statement.predicateType,
    },
    optional: statement.subject[0]?.annotations ?? {},
  };
}
