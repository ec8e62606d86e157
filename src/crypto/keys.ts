/**
 * Key pairs of the kinds cosign signs with (ECDSA P-256/P-384/P-521, Ed25519, RSA PKCS#1 v1.5), their PEM
 * forms, and the checks cosign applies when a key is imported (no RSA below 2048 bits, known curves only).
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
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

/**
 * A new key pair. Node 20 deadlocks when a key made by generateKeyPairSync is inspected
 * (asymmetricKeyDetails) while the garbage collector finalises the generation job that still shares the
 * key: the inspection holds the key's lock while it allocates, and the job's finaliser takes the same lock
 * (seen as a `sigil tlog serve` hung at start). So EC and Ed25519 keys are made without a generation job
 * (an ECDH key pair, or 32 random bytes as an Ed25519 seed), and RSA keys are handed out as fresh objects
 * made from their DER.
 */
export function generateKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): KeyPair {
  switch (algorithm) {
    case 'ecdsa-p256':
      return ecKeyPair('prime256v1', 'P-256');
    case 'ecdsa-p384':
      return ecKeyPair('secp384r1', 'P-384');
    case 'ecdsa-p521':
      return ecKeyPair('secp521r1', 'P-521');
    case 'ed25519':
      return keyPairOf(
        createPrivateKey({
          key: Buffer.concat([ED25519_PKCS8_PREFIX, randomBytes(32)]),
          format: 'der',
          type: 'pkcs8',
        }),
      );
    case 'rsa-2048':
      return rsaKeyPair(2048);
    case 'rsa-3072':
      return rsaKeyPair(3072);
    case 'rsa-4096':
      return rsaKeyPair(4096);
  }
}

/** PKCS#8 for an Ed25519 key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function keyPairOf(privateKey: KeyObject): KeyPair {
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function ecKeyPair(curve: string, jwkCurve: string): KeyPair {
  const ecdh = createECDH(curve);
  const point = ecdh.generateKeys();
  const size = (point.length - 1) / 2;
  // The scalar as the curve's field size, its leading zeros kept (JWK wants the full length).
  const scalar = ecdh.getPrivateKey();
  const d = Buffer.concat([Buffer.alloc(size - scalar.length), scalar]);
  return keyPairOf(
    createPrivateKey({
      key: {
        kty: 'EC',
        crv: jwkCurve,
        d: d.toString('base64url'),
        x: point.subarray(1, 1 + size).toString('base64url'),
        y: point.subarray(1 + size).toString('base64url'),
      },
      format: 'jwk',
    }),
  );
}

function rsaKeyPair(modulusLength: number): KeyPair {
  const generated = generateKeyPairSync('rsa', { modulusLength });
  return keyPairOf(
    createPrivateKey({
      key: generated.privateKey.export({ type: 'pkcs8', format: 'der' }),
      format: 'der',
      type: 'pkcs8',
    }),
  );
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
