/**
 * ECDSA verification over a digest the caller computed (a transparency log sees only the artifact's digest),
 * which Node's crypto cannot do: it always hashes its input. Two interchangeable implementations:
 * - `openssl`: the optional native addon `sigil-prehashed-verify` (native/prehashed-verify), which calls
 *   EVP_PKEY_verify in the OpenSSL Node is built with: ~50x faster, and the log's main cost for hashedrekord;
 * - `noble`: @noble/curves (audited, pure JavaScript), used when the addon was not built (no compiler at
 *   install) or when SIGIL_ECDSA_DIGEST_VERIFIER=noble asks for it.
 * Both accept exactly the same signatures (test/crypto/ecdsa-digest.test.ts runs one corpus through both).
 */
import type { KeyObject } from 'node:crypto';
import { lazy, lazyRequire } from '../core/index.js';

/** A prepared public key's check: true only when `signature` (DER) signs `digest` as given. Never throws. */
export type DigestCheck = (digest: Uint8Array, signature: Uint8Array) => boolean;

export interface EcdsaDigestVerifier {
  readonly name: 'openssl' | 'noble';
  /** The check for `key` (an EC key on a NIST curve), parsed once per KeyObject and then reused. */
  prepare(key: KeyObject): DigestCheck;
}

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

const NIST_CURVES: ReadonlySet<string> = new Set<NistCurve>(['prime256v1', 'secp384r1', 'secp521r1']);

/** The key's curve when it is an EC key on P-256, P-384 or P-521 (the curves Sigstore allows). */
function nistCurveOf(key: KeyObject): NistCurve | undefined {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  return curve && NIST_CURVES.has(curve) ? (curve as NistCurve) : undefined;
}

const refuseAll: DigestCheck = () => false;

/**
 * Remembers each KeyObject's prepared check. A KeyObject is immutable, so its identity stands for its key;
 * the WeakMap lets the entry go with the KeyObject (the log keeps its own bounded cache of parsed keys).
 */
function preparedPerKey(
  prepare: (key: KeyObject, curve: NistCurve) => DigestCheck,
): EcdsaDigestVerifier['prepare'] {
  const prepared = new WeakMap<KeyObject, DigestCheck>();
  return (key) => {
    let check = prepared.get(key);
    if (!check) {
      const curve = nistCurveOf(key);
      try {
        check = curve ? prepare(key, curve) : refuseAll;
      } catch {
        check = refuseAll;
      }
      prepared.set(key, check);
    }
    return check;
  };
}

/** A check that answers false where the implementation would throw (malformed DER, bad point...). */
function falseOnThrow(check: DigestCheck): DigestCheck {
  return (digest, signature) => {
    try {
      return check(digest, signature);
    } catch {
      return false;
    }
  };
}

export const nobleEcdsaDigestVerifier: EcdsaDigestVerifier = {
  name: 'noble',
  prepare: preparedPerKey((key, curveName) => {
    const curve = nobleCurves()[curveName];
    const jwk = key.export({ format: 'jwk' });
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x ?? '', 'base64url'),
      Buffer.from(jwk.y ?? '', 'base64url'),
    ]);
    // Strict DER as OpenSSL (noble refuses BER and trailing bytes); high S accepted as OpenSSL and Go do.
    return falseOnThrow((digest, signature) =>
      curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' }),
    );
  }),
};

interface NativeAddon {
  parseEcPublicKey(spki: Uint8Array): unknown;
  verifyDigest(key: unknown, digest: Uint8Array, signature: Uint8Array): boolean;
}

const requireAddon = lazyRequire<NativeAddon>('sigil-prehashed-verify');

/** The addon, or undefined when it is not installed or does not load (then noble is used). */
export const loadNativeAddon = lazy((): NativeAddon | undefined => {
  try {
    return requireAddon();
  } catch {
    return undefined;
  }
});

/** The OpenSSL verifier, or undefined without the addon. */
export const opensslEcdsaDigestVerifier = lazy((): EcdsaDigestVerifier | undefined => {
  const addon = loadNativeAddon();
  if (!addon) return undefined;
  return {
    name: 'openssl',
    prepare: preparedPerKey((key) => {
      const native = addon.parseEcPublicKey(key.export({ type: 'spki', format: 'der' }));
      return falseOnThrow((digest, signature) => addon.verifyDigest(native, digest, signature));
    }),
  };
});

/** OpenSSL when the addon loaded, unless SIGIL_ECDSA_DIGEST_VERIFIER=noble; @noble/curves otherwise. */
export const ecdsaDigestVerifier = lazy(
  (): EcdsaDigestVerifier =>
    (process.env.SIGIL_ECDSA_DIGEST_VERIFIER !== 'noble' && opensslEcdsaDigestVerifier()) ||
    nobleEcdsaDigestVerifier,
);
