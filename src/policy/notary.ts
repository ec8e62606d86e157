/**
 * Kyverno's `verifyImages` `type: Notary`, as its Notary verifier drives notation-go: each
 * `certificates` attestor becomes a one-store notation configuration (a `ca` trust store holding `cert`
 * and `certChain`, a strict trust policy over every registry scope, any identity), and an image passes
 * when one of its first 10 Notation signatures verifies under it (revocation checked when the
 * certificates name OCSP or CRL endpoints; no `tsa` store, so the chain must be valid now).
 *
 * Attestations are OCI 1.1 referrers of the image whose artifactType is the attestation's `type`: the
 * first such referrer is itself verified as a Notation-signed artifact, and its one layer (JSON, at most
 * 10 MB) is the content the conditions read, as Kyverno's `predicate`. Sigil is stricter than Kyverno
 * in one place: an attestor without `cert` or `certChain` (or no attestor) does not skip verification.
 */
import { decodePemBlocks, SigilError } from '../core/index.js';
import {
  createRevocationChecker,
  createTimestampVerifier,
  type NotationCertificate,
  parseCertificate,
  parseTrustPolicy,
  type TrustPolicyDocument,
  verifyReference,
} from '../notation/index.js';
import {
  formatReference,
  type ImageReference,
  isIndex,
  type RegistryClient,
  withDigest,
} from '../oci/index.js';

/** Kyverno's limits: signatures tried, referrers listed, attestation content size. */
const MAX_SIGNATURE_ATTEMPTS = 10;
const MAX_REFERRERS = 50;
const MAX_PAYLOAD_BYTES = 10 * 1000 * 1000;

export interface NotaryTrust {
  policy: TrustPolicyDocument;
  certificates: NotationCertificate[];
}

/** The verified content of an attestation: the referrer's manifest with `type` and `predicate` added. */
export interface NotaryAttestation {
  type: string;
  digest: string;
  predicate: unknown;
}

const TRUST_POLICY = parseTrustPolicy(
  JSON.stringify({
    version: '1.0',
    trustPolicies: [
      {
        name: 'kyverno',
        registryScopes: ['*'],
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:kyverno'],
        trustedIdentities: ['*'],
      },
    ],
  }),
  'Kyverno Notary trust policy',
);

// Parsed once per PEM text: policies name the same few certificates in every review.
const trusts = new Map<string, NotaryTrust>();
const TRUSTS_LIMIT = 256;

/** The notation configuration of a `certificates` attestor (`cert` and `certChain` in one trust store). */
export function notaryTrust(cert: string | undefined, certChain: string | undefined): NotaryTrust {
  const pem = [cert, certChain].filter((text) => text?.trim()).join('\n');
  if (!pem) {
    throw new SigilError('BAD_INPUT', 'a Notary certificates attestor needs cert or certChain');
  }
  let trust = trusts.get(pem);
  if (!trust) {
    const blocks = decodePemBlocks(pem, 'certificates attestor').filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length === 0)
      throw new SigilError('BAD_PEM', 'failed to parse certificates: no CERTIFICATE block');
    const certificates = blocks.map((block, i) =>
      parseCertificate(block.der, `certificates attestor certificate ${i + 1}`),
    );
    trust = { policy: TRUST_POLICY, certificates };
    if (trusts.size >= TRUSTS_LIMIT) trusts.clear();
    trusts.set(pem, trust);
  }
  return trust;
}

/** One verified Notation signature of `image` (pinned to its digest) under `trust`, or a one-line refusal. */
export async function verifyNotarySignature(
  client: RegistryClient,
  image: ImageReference,
  trust: NotaryTrust,
): Promise<void> {
  const outcome = await verifyReference(client, image, {
    trustPolicy: trust.policy,
    trustStore: () => trust.certificates,
    revocation: createRevocationChecker(),
    timestamp: createTimestampVerifier(),
    maxSignatures: MAX_SIGNATURE_ATTEMPTS,
  });
  if (outcome.verified) return;
  const reference = outcome.artifact.reference;
  if (outcome.results.length === 0) {
    throw new SigilError('NO_SIGNATURES', `no Notation signature is associated with ${reference}`);
  }
  const reasons = outcome.results.map((result) => result.error ?? 'refused');
  throw new SigilError(
    'SIGNATURE_MISMATCH',
    `Notation signature verification failed for ${reference}: ${[...new Set(reasons)].join('; ')}`,
  );
}

/**
 * The attestation of `type` attached to `image`: the first referrer of that artifactType, verified as a
 * Notation-signed artifact under `trust`, and its one JSON layer.
 */
export async function fetchNotaryAttestation(
  client: RegistryClient,
  image: ImageReference,
  type: string,
  trust: NotaryTrust,
): Promise<NotaryAttestation> {
  const digest = image.digest;
  if (!digest)
    throw new SigilError('BAD_REFERENCE', `${formatReference(image)}: no digest to list referrers of`);
  const referrers = await client.referrers(image, digest);
  if (referrers.length > MAX_REFERRERS) {
    throw new SigilError(
      'BAD_MANIFEST',
      `too many referrers of ${formatReference(image)} (more than ${MAX_REFERRERS})`,
    );
  }
  const referrer = referrers.find((descriptor) => descriptor.artifactType === type);
  if (!referrer) {
    throw new SigilError(
      'NO_SIGNATURES',
      `no matching attestations found for image ${formatReference(image)} with type ${type}`,
    );
  }
  const attached = withDigest(image, referrer.digest);
  await verifyNotarySignature(client, attached, trust);
  const where = `attestation ${formatReference(attached)}`;
  const { manifest } = await client.getManifest(attached, referrer.digest);
  if (isIndex(manifest)) throw new SigilError('BAD_MANIFEST', `${where}: is an index`);
  const layer = manifest.layers[0];
  if (!layer) throw new SigilError('BAD_MANIFEST', `${where}: no predicate found (no layer)`);
  if (manifest.layers.length > 1)
    throw new SigilError('BAD_MANIFEST', `${where}: multiple layers in predicate not supported`);
  if (layer.size > MAX_PAYLOAD_BYTES) {
    throw new SigilError(
      'BAD_MANIFEST',
      `${where}: predicate size ${layer.size} exceeds ${MAX_PAYLOAD_BYTES}`,
    );
  }
  const content = await client.getBlob(attached, layer.digest);
  let predicate: unknown;
  try {
    predicate = JSON.parse(content.toString('utf8'));
  } catch {
    throw new SigilError('BAD_JSON', `${where}: its layer ${layer.digest} is not JSON`);
  }
  if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
    throw new SigilError('BAD_JSON', `${where}: its layer ${layer.digest} is not a JSON object`);
  }
  return { type, digest: referrer.digest, predicate };
}
