/**
 * Verifying a signature given only the digest of the signed data, as a transparency log must for
 * hashedrekord entries (the artifact never reaches the log). ECDSA goes through `ecdsa-digest.ts` (OpenSSL
 * through the optional native addon, else @noble/curves); RSA PKCS#1 v1.5 recovers the DigestInfo with
 * Node's public-key operation and compares it.
 */
import { constants, type KeyObject, publicDecrypt } from 'node:crypto';
import { type EcdsaDigestVerifier, ecdsaDigestVerifier } from './ecdsa-digest.js';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** Digest sizes in bytes: a digest of another length is refused whatever the key (ECDSA would truncate it). */
export const DIGEST_BYTES: Record<DigestAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

// DER prefixes of PKCS#1 DigestInfo (RFC 8017 §9.2, note 1).
const DIGEST_INFO_PREFIX: Record<DigestAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/**
 * True only when `signature` signs data whose `algorithm` digest is `digest`; never throws. `ecdsa` picks
 * the ECDSA implementation (tests force the fallback with it).
 */
export function verifyPrehashed(
  publicKey: KeyObject,
  algorithm: DigestAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
  ecdsa: EcdsaDigestVerifier = ecdsaDigestVerifier(),
): boolean {
  try {
    if (digest.length !== DIGEST_BYTES[algorithm]) return false;
    if (publicKey.asymmetricKeyType === 'ec') return ecdsa.prepare(publicKey)(digest, signature);
    if (publicKey.asymmetricKeyType === 'rsa') {
      const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      return recovered.equals(Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest]));
    }
    return false;
  } catch {
    return false;
  }
}
