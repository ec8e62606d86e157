/**
 * Key pairs of the kinds cosign signs with (ECDSA P-256/P-384/P-521, Ed25519, RSA PKCS#1 v1.5), their PEM
 * forms, and the checks cosign applies when a key is imported (no RSA below 2048 bits, known curves only).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { decodePem, encodePem, messageOf, SigilError } from '../core/index.js';

export type KeyAlgorithm =
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ecdsa-p521'
  | 'ed25519'
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const MIN_RSA_BITS = 2048;

export function generateKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): KeyPair {
  switch (algorithm) {
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'ecdsa-p521':
      return generateKeyPairSync('ec', { namedCurve: 'P-521' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'rsa-3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072 });
    case 'rsa-4096':
      return generateKeyPairSync('rsa', { modulusLength: 4096 });
  }
}

/** A short name for messages, e.g. `ECDSA P-256`, `RSA 3072`, `Ed25519`. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return `ECDSA ${CURVES[details.namedCurve ?? ''] ?? details.namedCurve}`;
    case 'rsa':
      return `RSA ${details.modulusLength}`;
    case 'ed25519':
      return 'Ed25519';
    default:
      return String(key.asymmetricKeyType);
  }
}

/** Rejects the key kinds cosign rejects, naming `where` the key came from. */
export function assertSupportedKey(key: KeyObject, where: string): KeyObject {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const supported =
    (type === 'ec' && details.namedCurve !== undefined && details.namedCurve in CURVES) ||
    (type === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) ||
    type === 'ed25519';
  if (!supported) {
    throw new SigilError(
      'BAD_KEY',
      `${where}: unsupported key ${describeKey(key)}`,
      `use ECDSA P-256/P-384/P-521, Ed25519, or RSA of at least ${MIN_RSA_BITS} bits`,
    );
  }
  return key;
}

/** The public key as cosign writes `cosign.pub`: PEM `PUBLIC KEY` over SubjectPublicKeyInfo. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return encodePem('PUBLIC KEY', publicKey.export({ type: 'spki', format: 'der' }));
}

/**
 * The text of every PUBLIC KEY PEM block in `text`, in order: policies paste several keys into one field,
 * each of them a key of its own.
 */
export function publicKeyPemBlocks(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
}

/** A verification key from PEM: SubjectPublicKeyInfo, PKCS#1 RSA, or the key of a certificate. */
export function loadPublicKeyPem(pem: string, where: string): KeyObject {
  const block = decodePem(pem, where, ['PUBLIC KEY', 'RSA PUBLIC KEY', 'CERTIFICATE']);
  const key = asKey(where, 'public key', () => {
    if (block.label === 'CERTIFICATE') return new X509Certificate(block.der).publicKey;
    const type = block.label === 'PUBLIC KEY' ? 'spki' : 'pkcs1';
    return createPublicKey({ key: block.der, format: 'der', type });
  });
  return assertSupportedKey(key, where);
}

/** An unencrypted private key in PEM, as `import-key-pair` accepts: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC). */
export function importPrivateKeyPem(pem: string, where: string): KeyObject {
  const block = decodePem(pem, where, [
    'PRIVATE KEY',
    'RSA PRIVATE KEY',
    'EC PRIVATE KEY',
    'ENCRYPTED PRIVATE KEY',
  ]);
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    throw new SigilError(
      'BAD_KEY',
      `${where}: the key is password-protected PKCS#8`,
      'decrypt it first, e.g. openssl pkcs8 -in KEY -out plain.pem',
    );
  }
  const type = block.label === 'PRIVATE KEY' ? 'pkcs8' : block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'sec1';
  const key = asKey(where, 'private key', () => createPrivateKey({ key: block.der, format: 'der', type }));
  return assertSupportedKey(key, where);
}

/** A private key from PKCS#8 DER (the plaintext inside cosign's encrypted key). */
export function privateKeyFromPkcs8(der: Buffer, where: string): KeyObject {
  const key = asKey(where, 'private key', () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return assertSupportedKey(key, where);
}

function asKey(where: string, what: string, load: () => KeyObject): KeyObject {
  try {
    return load();
  } catch (err) {
    throw new SigilError('BAD_KEY', `${where}: not a valid ${what} (${messageOf(err).split('\n')[0]})`);
  }
}
