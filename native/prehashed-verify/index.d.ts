/** An EC public key parsed by OpenSSL, freed when garbage-collected. */
export interface NativeEcKey {
  readonly __nativeEcKey: unique symbol;
}
/** Parses a DER SubjectPublicKeyInfo holding an EC key; throws on anything else or on trailing bytes. */
export function parseEcPublicKey(spki: Uint8Array): NativeEcKey;
/** OpenSSL's ECDSA verify of a DER signature over `digest` as given (no hashing); false on any failure. */
export function verifyDigest(key: NativeEcKey, digest: Uint8Array, signature: Uint8Array): boolean;
