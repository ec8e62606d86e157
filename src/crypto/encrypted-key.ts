/**
 * cosign's encrypted private-key format (secure-systems-lab's `encrypted` package): a PEM block
 * `ENCRYPTED SIGSTORE PRIVATE KEY` (older keys: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is JSON
 * `{kdf: scrypt(N, r, p, salt), cipher: nacl/secretbox(nonce), ciphertext}` over the PKCS#8 DER key.
 * Keys written here load in cosign and the other way round.
 */
import { type KeyObject, randomBytes, scryptSync } from 'node:crypto';
import type nacl from 'tweetnacl';
import {
  decodePem,
  encodePem,
  fromBase64,
  isRecord,
  lazyRequire,
  parseJson,
  SigilError,
  toBase64,
} from '../core/index.js';
import { privateKeyFromPkcs8 } from './keys.js';

/** Loaded by the commands that open or seal a key, not by every command that imports crypto/. */
const loadNacl = lazyRequire<typeof nacl>('tweetnacl');

export const SIGSTORE_PRIVATE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** cosign's parameters for new keys (the package's "standard" setting). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 32768, r: 8, p: 1 };
// Bounds against files that would make scrypt take minutes or gigabytes: 2^20 is 32x cosign's default.
const MAX_N = 2 ** 20;
const MAX_RP = 64;
const SALT_BYTES = 32;
const KEY_BYTES = 32;

export function encryptPrivateKey(
  key: KeyObject,
  password: string,
  options: { scrypt?: ScryptParams; label?: string } = {},
): string {
  const params = options.scrypt ?? DEFAULT_SCRYPT;
  const salt = randomBytes(SALT_BYTES);
  const { secretbox } = loadNacl();
  const nonce = randomBytes(secretbox.nonceLength);
  const plaintext = key.export({ type: 'pkcs8', format: 'der' });
  const ciphertext = secretbox(plaintext, nonce, deriveKey(password, salt, params));
  // Field order as Go's encoding/json writes the package's structs.
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: toBase64(salt) },
    cipher: { name: 'nacl/secretbox', nonce: toBase64(nonce) },
    ciphertext: toBase64(ciphertext),
  });
  return encodePem(options.label ?? SIGSTORE_PRIVATE_KEY_LABEL, Buffer.from(json));
}

/** Decrypts a cosign key file's content; `where` (the file) goes into every error. */
export function decryptPrivateKey(pem: string, password: string, where: string): KeyObject {
  const block = decodePem(pem, where, [SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL]);
  const sealed = parseSealedKey(block.der, where);
  const plaintext = loadNacl().secretbox.open(
    sealed.ciphertext,
    sealed.nonce,
    deriveKey(password, sealed.salt, sealed.params),
  );
  if (!plaintext) {
    throw new SigilError(
      'BAD_PASSWORD',
      `${where}: incorrect password (decryption failed)`,
      "set COSIGN_PASSWORD to the key's password",
    );
  }
  return privateKeyFromPkcs8(Buffer.from(plaintext), where);
}

interface SealedKey {
  params: ScryptParams;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
}

function parseSealedKey(body: Buffer, where: string): SealedKey {
  const bad = (what: string): never => {
    throw new SigilError('BAD_KEY', `${where}: encrypted key ${what}`);
  };
  const data = parseJson(body.toString('utf8'), `${where} (encrypted key)`);
  if (!isRecord(data) || !isRecord(data.kdf) || !isRecord(data.cipher)) return bad('lacks "kdf" or "cipher"');
  const { kdf, cipher } = data;
  if (kdf.name !== 'scrypt') return bad(`uses unsupported kdf ${JSON.stringify(kdf.name)} (want "scrypt")`);
  if (cipher.name !== 'nacl/secretbox') return bad(`uses unsupported cipher ${JSON.stringify(cipher.name)}`);
  const params = isRecord(kdf.params) ? kdf.params : bad('lacks kdf.params');
  const { N, r, p } = params;
  if (!isInt(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0)
    return bad(`has invalid scrypt N ${JSON.stringify(N)}`);
  if (!isInt(r) || r < 1 || r > MAX_RP || !isInt(p) || p < 1 || p > MAX_RP)
    return bad('has invalid scrypt r or p');
  const bytes = (value: unknown, field: string): Buffer =>
    typeof value === 'string' ? fromBase64(value, `${where}: ${field}`) : bad(`lacks ${field}`);
  const nonce = bytes(cipher.nonce, 'cipher.nonce');
  if (nonce.length !== loadNacl().secretbox.nonceLength)
    return bad(`nonce is ${nonce.length} bytes, want 24`);
  return {
    params: { N, r, p },
    salt: bytes(kdf.salt, 'kdf.salt'),
    nonce,
    ciphertext: bytes(data.ciphertext, 'ciphertext'),
  };
}

function deriveKey(password: string, salt: Buffer, { N, r, p }: ScryptParams): Buffer {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is below what N=65536 keys need.
  return scryptSync(Buffer.from(password, 'utf8'), salt, KEY_BYTES, {
    N,
    r,
    p,
    maxmem: 256 * N * r + 1024 * 1024,
  });
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
