/**
 * The signature algorithms the Notary Project allows, chosen by the signing key as its specification
 * fixes them: RSASSA-PSS (salt = hash length) with SHA-256/384/512 for RSA 2048/3072/4096, ECDSA with
 * SHA-256/384/512 for P-256/P-384/P-521 (signatures as r||s, as JWS and COSE encode them). No other key
 * (Ed25519, RSA 1024, ...) can make or carry a Notation signature.
 */
import { constants, type KeyObject, sign, verify } from 'node:crypto';
import { SigilError } from '../core/index.js';

export type HashName = 'sha256' | 'sha384' | 'sha512';

export interface SignatureAlgorithm {
  /** JWS `alg` */
  jws: 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';
  /** COSE algorithm label */
  cose: number;
  hash: HashName;
  rsa: boolean;
}

const ALGORITHMS: readonly SignatureAlgorithm[] = [
  { jws: 'PS256', cose: -37, hash: 'sha256', rsa: true },
  { jws: 'PS384', cose: -38, hash: 'sha384', rsa: true },
  { jws: 'PS512', cose: -39, hash: 'sha512', rsa: true },
  { jws: 'ES256', cose: -7, hash: 'sha256', rsa: false },
  { jws: 'ES384', cose: -35, hash: 'sha384', rsa: false },
  { jws: 'ES512', cose: -36, hash: 'sha512', rsa: false },
];

const BY_KEY: Record<string, SignatureAlgorithm['jws']> = {
  'rsa:2048': 'PS256',
  'rsa:3072': 'PS384',
  'rsa:4096': 'PS512',
  'ec:prime256v1': 'ES256',
  'ec:secp384r1': 'ES384',
  'ec:secp521r1': 'ES512',
};

/** The algorithm a (public or private) key signs with; BAD_KEY for a key the specification does not allow. */
export function algorithmForKey(key: KeyObject, where: string): SignatureAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  const spec =
    key.asymmetricKeyType === 'rsa'
      ? `rsa:${details.modulusLength}`
      : key.asymmetricKeyType === 'ec'
        ? `ec:${details.namedCurve}`
        : `${key.asymmetricKeyType}`;
  const name = BY_KEY[spec];
  const algorithm = ALGORITHMS.find((a) => a.jws === name);
  if (!algorithm) {
    throw new SigilError(
      'BAD_KEY',
      `${where}: ${spec.replace(':', ' ')} keys cannot sign Notation signatures`,
      'use RSA 2048/3072/4096 or ECDSA P-256/P-384/P-521',
    );
  }
  return algorithm;
}

export function algorithmByJws(alg: unknown): SignatureAlgorithm | undefined {
  return ALGORITHMS.find((a) => a.jws === alg);
}

export function algorithmByCose(alg: unknown): SignatureAlgorithm | undefined {
  return ALGORITHMS.find((a) => a.cose === alg);
}

function options(algorithm: SignatureAlgorithm, key: KeyObject) {
  return algorithm.rsa
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, dsaEncoding: 'ieee-p1363' as const };
}

export function signWith(algorithm: SignatureAlgorithm, privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(algorithm.hash, data, options(algorithm, privateKey));
}

/** True only for a valid signature; malformed input is just invalid. */
export function verifyWith(
  algorithm: SignatureAlgorithm,
  publicKey: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return verify(algorithm.hash, data, options(algorithm, publicKey), signature);
  } catch {
    return false;
  }
}
