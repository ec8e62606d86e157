/**
 * What each KMS provider module gives: the key as a signer of digests, and key creation. A provider is
 * loaded (dynamic import) only when a URI of its scheme is used, so commands that never touch a KMS load
 * none of this.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { SigilError } from '../../core/index.js';
import { describeKey } from '../keys.js';
import type { DigestAlgorithm } from '../prehashed.js';
import type { Signer } from '../signer.js';
import type { KmsReference } from './uri.js';

/** A KMS key opened for signing: its public key, the hash cosign pairs with it, and the remote signature. */
export interface KmsKey {
  publicKey: KeyObject;
  hash: DigestAlgorithm;
  /**
   * The KMS's signature over a digest computed here (the payload never leaves the machine), in the form
   * cosign writes: ASN.1 DER for ECDSA, PKCS#1 v1.5 for RSA.
   */
  signDigest(digest: Buffer): Promise<Buffer>;
}

export interface KmsProvider<R extends KmsReference = KmsReference> {
  open(ref: R, env: NodeJS.ProcessEnv): Promise<KmsKey>;
  /** Creates the key cosign's `generate-key-pair --kms` creates (the provider's default algorithm). */
  createKey(ref: R, env: NodeJS.ProcessEnv): Promise<KeyObject>;
}

/** A Signer over a KMS key: hashes locally with the key's hash, then asks the KMS to sign the digest. */
export function kmsKeySigner(key: KmsKey): Signer {
  return {
    publicKey: key.publicKey,
    algorithm: describeKey(key.publicKey),
    sign: async (data) => key.signDigest(createHash(key.hash).update(data).digest()),
  };
}

/** The hash cosign uses with an EC or RSA KMS key whose provider names no algorithm: per curve, else SHA-256. */
export function defaultHash(publicKey: KeyObject, uri: string): DigestAlgorithm {
  if (publicKey.asymmetricKeyType === 'rsa') return 'sha256';
  if (publicKey.asymmetricKeyType === 'ec') {
    const curve = publicKey.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'sha256';
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
  }
  throw new SigilError(
    'BAD_KEY',
    `${uri}: ${describeKey(publicKey)} keys cannot sign here (use ECDSA or RSA)`,
  );
}
