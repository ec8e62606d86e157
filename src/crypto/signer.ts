/**
 * Signing and verifying with a key, using the hash cosign pairs with each key kind (sigstore's algorithm
 * registry): ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 (ASN.1 DER signatures), RSA PKCS#1 v1.5
 * with SHA-256, Ed25519 over the message itself. The Signer interface is what file keys, ephemeral keys
 * and (later) PKCS#11 and KMS keys all provide.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { sha256 } from '../core/index.js';
import { describeKey, publicKeyPem } from './keys.js';

export interface Signer {
  publicKey: KeyObject;
  /** e.g. `ECDSA P-256`; for messages. */
  algorithm: string;
  sign(data: Uint8Array): Promise<Buffer>;
  /** Keyless signers: the certificate for `publicKey` (PEM), then its CA chain up to the root. */
  certificateChain?: readonly string[];
}

/** What a log entry or bundle names as the verifier: the leaf certificate if there is one, else the key. */
export function verifierPem(signer: Signer): string {
  return signer.certificateChain?.[0] ?? publicKeyPem(signer.publicKey);
}

/** The hash paired with a key, or null for Ed25519, which signs the message itself. */
export function hashFor(key: KeyObject): 'sha256' | 'sha384' | 'sha512' | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
  }
  return 'sha256';
}

export function keySigner(privateKey: KeyObject): Signer {
  const publicKey = createPublicKey(privateKey);
  const hash = hashFor(privateKey);
  return {
    publicKey,
    algorithm: describeKey(publicKey),
    sign: async (data) => sign(hash, data, privateKey),
  };
}

/** True only when `signature` is valid for `data` under `publicKey`; malformed input is just invalid. */
export function verifySignature(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(hashFor(publicKey), data, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * The key id cosign puts in a bundle's `publicKey.hint`: base64 of SHA-256 over the DER
 * SubjectPublicKeyInfo, so that verifiers can pick the key without trying each one.
 */
export function keyIdHint(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' })).toString('base64');
}
