/**
 * `verify-attestation`: every layer of the image's `.att` artifact is a DSSE envelope; an attestation is
 * accepted when its signature verifies (key, or keyless certificate through the trusted root), its log
 * entry is about this very envelope (unless the log is ignored), its payload is an in-toto statement whose
 * subject is the image digest, and its predicate type is the one asked for (cosign's --type filter).
 */
import { type Digest, mapLimited, messageOf, SigilError } from '../core/index.js';
import { verifySignature } from '../crypto/index.js';
import {
  ANNOTATION_CERTIFICATE,
  artifactTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  type DsseEnvelope,
  dsseEnvelopeJson,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  type LayerDescriptor,
  parseDsseEnvelope,
  parseStatement,
  preAuthEncoding,
  statementCovers,
  subjectDigests,
} from '../formats/index.js';
import { repositoryName } from '../oci/index.js';
import { assertEnvelopeBodyMatches } from '../tlog/index.js';
import type { KeylessVerification } from '../verify/index.js';
import { verifyImageBundles } from './image-bundles.js';
import { readSignatureLayers } from './signature-image.js';
import { signatureRepository } from './signature-repository.js';
import { checkLogEntry, type VerifyImageOptions, verifyKeylessLayer } from './verify.js';

export interface VerifyAttestationOptions
  extends Omit<VerifyImageOptions, 'annotations' | 'checkDockerReference'> {
  /** Only attestations of this predicate type count (a URI; see predicateTypeFor). */
  predicateType?: string;
}

export interface VerifiedAttestation {
  layer: LayerDescriptor;
  envelope: DsseEnvelope;
  statement: InTotoStatement;
  predicateType: string;
  keyless?: KeylessVerification;
}

export interface AttestationVerification {
  digest: Digest;
  verified: VerifiedAttestation[];
  /** One line per rejected attestation: which layer, and why. */
  rejected: string[];
}

export async function verifyImageAttestations(
  options: VerifyAttestationOptions,
): Promise<AttestationVerification> {
  const { client, image } = options;
  const digest = image.digest ?? (await client.resolveDigest(image));
  const repo = options.signatureRepository ?? signatureRepository(image);
  const artifact = options.bundlesOnly
    ? undefined
    : await readSignatureLayers(client, repo, artifactTag(digest, 'att'), DSSE_ENVELOPE_MEDIA_TYPE);
  const where = `${repositoryName(image)}@${digest}`;
  const bundled =
    options.bundles || options.bundlesOnly
      ? await verifiedAttestationBundles(options, digest)
      : { verified: [], rejected: [] };
  const layers = artifact?.layers ?? [];
  if (layers.length === 0 && bundled.verified.length + bundled.rejected.length === 0) {
    throw new SigilError('NO_SIGNATURES', `no attestations found for ${where}`);
  }
  const outcomes = await mapLimited(layers, options.concurrency ?? 8, async (layer) => {
    try {
      const blob = await client.getBlob(repo, layer.digest);
      return await verifyAttestationLayer(options, digest, layer, blob);
    } catch (err) {
      return { reason: messageOf(err) };
    }
  });
  const verified = [
    ...outcomes.filter((o): o is VerifiedAttestation => !('reason' in o)),
    ...bundled.verified,
  ];
  const rejected = [
    ...outcomes.flatMap((o, i) =>
      'reason' in o ? [`attestation ${i + 1} (${layers[i]?.digest}): ${o.reason}`] : [],
    ),
    ...bundled.rejected,
  ];
  if (verified.length === 0) {
    const typed = options.predicateType ? ` of type ${options.predicateType}` : '';
    throw new SigilError(
      'SIGNATURE_MISMATCH',
      `no matching attestations${typed} for ${where}: ${rejected.join('; ')}`,
    );
  }
  return { digest, verified, rejected };
}

/** Attestation bundles pushed as OCI 1.1 referrers (cosign v3's --new-bundle-format) that verify. */
async function verifiedAttestationBundles(
  options: VerifyAttestationOptions,
  digest: Digest,
): Promise<{ verified: VerifiedAttestation[]; rejected: string[] }> {
  const { verified, rejected } = await verifyImageBundles({
    ...options,
    image: { ...options.image, digest },
    ...(options.predicateType ? { predicateType: options.predicateType } : {}),
  });
  return {
    verified: verified.map((bundle) => ({
      layer: bundle.referrer,
      envelope: bundle.envelope,
      statement: bundle.statement,
      predicateType: bundle.statement.predicateType,
      ...(bundle.keyless ? { keyless: bundle.keyless } : {}),
    })),
    rejected,
  };
}

async function verifyAttestationLayer(
  options: VerifyAttestationOptions,
  digest: Digest,
  layer: LayerDescriptor,
  blob: Buffer,
): Promise<VerifiedAttestation | { reason: string }> {
  const envelope = parseDsseEnvelope(blob, `attestation layer ${layer.digest}`);
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { reason: `DSSE payloadType is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  const keyless =
    options.keyless && layer.annotations?.[ANNOTATION_CERTIFICATE] !== undefined
      ? verifyKeylessLayer(layer, { envelope }, options.keyless)
      : undefined;
  if (!keyless) {
    if (!options.publicKey) {
      return { reason: options.keyless ? 'signed with a key, not keyless' : 'no public key to verify with' };
    }
    const signed = preAuthEncoding(envelope.payloadType, envelope.payload);
    if (!envelope.signatures.some((s) => verifySignature(options.publicKey!, signed, s.sig))) {
      return { reason: 'invalid signature for the given public key' };
    }
  }
  const statement = parseStatement(envelope.payload, `attestation layer ${layer.digest}`);
  if (!statementCovers(statement, digest)) {
    return { reason: `the statement is about ${subjectDigests(statement).join(', ')}, not ${digest}` };
  }
  if (options.predicateType && statement.predicateType !== options.predicateType) {
    return { reason: `predicate type ${statement.predicateType}, not ${options.predicateType}` };
  }
  if (!keyless && !options.ignoreTlog) {
    await checkLogEntry(layer, options, (body, key) => assertEnvelopeBodyMatches(body, envelope, key));
  }
  return {
    layer,
    envelope,
    statement,
    predicateType: statement.predicateType,
    ...(keyless ? { keyless } : {}),
  };
}

/** cosign's output: each verified attestation's envelope, as JSON, one per line. */
export function attestationJsonLines(result: AttestationVerification): string[] {
  return result.verified.map(({ envelope }) => dsseEnvelopeJson(envelope));
}
