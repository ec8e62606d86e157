/**
 * Verifying a signature given only the digest of the signed data, as a transparency log must for
 * hashedrekord entries (the artifact never reaches the log). Node's crypto always hashes its input, so
 * ECDSA uses @noble/curves (audited) on the digest; RSA PKCS#1 v1.5 recovers the DigestInfo with Node's
 * public-key operation and compares it.
 */
import { constants, type KeyObject, publicDecrypt } from 'node:crypto';
import { lazy, lazyRequire } from '../core/index.js';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

// DER prefixes of PKCS#1 DigestInfo (RFC 8017 §9.2, note 1).
const DIGEST_INFO_PREFIX: Record<DigestAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

const requireP256 = lazyRequire<typeof import('@noble/curves/p256')>('@noble/curves/p256');
const requireP384 = lazyRequire<typeof import('@noble/curves/p384')>('@noble/curves/p384');
const requireP521 = lazyRequire<typeof import('@noble/curves/p521')>('@noble/curves/p521');

/** @noble/curves' NIST curves by Node's curve name, loaded when first needed rather than by every command. */
export const nobleCurves = lazy(
  () =>
    ({
      prime256v1: requireP256().p256,
      secp384r1: requireP384().p384,
      secp521r1: requireP521().p521,
    }) as const,
);
export type NistCurve = keyof ReturnType<typeof nobleCurves>;

/** True only when `signature` signs data whose `algorithm` digest is `digest`; never throws. */
export function verifyPrehashed(
  publicKey: KeyObject,
  algorithm: DigestAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (publicKey.asymmetricKeyType === 'ec') {
      const curve = nobleCurves()[publicKey.asymmetricKeyDetails?.namedCurve as NistCurve];
      if (!curve) return false;
      const jwk = publicKey.export({ format: 'jwk' });
      const point = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x ?? '', 'base64url'),
        Buffer.from(jwk.y ?? '', 'base64url'),
      ]);
      return curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' });
    }
    if (publicKey.asymmetricKeyType === 'rsa') {
      const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      return recovered.equals(Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest]));
    }
    return false;
  } catch {
    return false;
  }
}
