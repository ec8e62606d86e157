/**
 * What @sigstore/verify checks a bundle against, built with two cases its `toSignedEntity` does not cover:
 *
 * - only the artifact's SHA-256 is known (cosign v3 and the conformance protocol take `sha256:<hex>` in
 *   place of the file): the signature is verified over the digest itself;
 * - a DSSE envelope logged as a Rekor v2 `hashedrekord` 0.0.2 entry: the rekor-v2 spec logs DSSE that way
 *   with the digest of the envelope's pre-authentication encoding (PAE), not of its payload, and the
 *   entry's body is compared with that digest.
 */
import type { Bundle } from '@sigstore/bundle';
import { type SignedEntity, toSignedEntity } from '@sigstore/verify';
import { SigilError, sha256 } from '../core/index.js';
import { verifyPrehashed } from '../crypto/index.js';
import { preAuthEncoding } from '../formats/index.js';

/** The signed bytes, or only their SHA-256 digest. */
export type SignedArtifact = Uint8Array | { sha256: Buffer };

export function artifactSha256(artifact: SignedArtifact): Buffer {
  return artifact instanceof Uint8Array ? sha256(artifact) : artifact.sha256;
}

export function signedEntity(bundle: Bundle, artifact: SignedArtifact): SignedEntity {
  const entity = toSignedEntity(bundle, asBuffer(artifact instanceof Uint8Array ? artifact : undefined));
  if (bundle.content.$case === 'messageSignature' && !(artifact instanceof Uint8Array)) {
    requireSha256MessageDigest(bundle.content.messageSignature);
    const content = entity.signature;
    return {
      ...entity,
      signature: overriding(content, {
        verifySignature: (key) => verifyPrehashed(key, 'sha256', artifact.sha256, content.signature),
      }),
    };
  }
  if (bundle.content.$case === 'dsseEnvelope' && loggedAsRekorV2HashedRekord(bundle)) {
    const { payloadType, payload } = bundle.content.dsseEnvelope;
    const paeDigest = sha256(preAuthEncoding(payloadType, payload));
    return {
      ...entity,
      signature: overriding(entity.signature, { compareDigest: (digest) => paeDigest.equals(digest) }),
    };
  }
  return entity;
}

/** The artifact as the Buffer @sigstore/verify takes, without copying it (it may be a large file). */
function asBuffer(bytes: Uint8Array | undefined): Buffer {
  if (bytes === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function loggedAsRekorV2HashedRekord(bundle: Bundle): boolean {
  return bundle.verificationMaterial.tlogEntries.some(
    (entry) => entry.kindVersion?.kind === 'hashedrekord' && entry.kindVersion.version === '0.0.2',
  );
}

type SignatureContent = SignedEntity['signature'];

/**
 * @sigstore/verify's signature content with some checks replaced (its contents are class instances, so the
 * others are bound rather than spread).
 */
function overriding(
  content: SignatureContent,
  checks: Partial<Omit<SignatureContent, 'signature'>>,
): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (digest) => content.compareDigest(digest),
    verifySignature: (key) => content.verifySignature(key),
    ...checks,
  };
}

/** Only a SHA-256 message digest can be checked against a sha256: digest given on the command line. */
function requireSha256MessageDigest(signature: { messageDigest?: { algorithm: number } }): void {
  // HASH_ALGORITHM_UNSPECIFIED (0) and SHA2_256 (1) are both SHA-256 in the bundle spec.
  if (signature.messageDigest && signature.messageDigest.algorithm > 1) {
    throw new SigilError(
      'UNSUPPORTED',
      'the bundle signs a digest other than SHA-256, so it cannot be verified from a sha256: digest',
      'pass the file instead of its digest',
    );
  }
}
