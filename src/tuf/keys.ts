/**
 * TUF role keys: Ed25519 (the default) or ECDSA P-256, kept as unencrypted PKCS#8 PEM files so that an
 * operator can hold the root key offline and hand it to one command. Public keys take the forms every TUF
 * client reads: Ed25519 as hex of the raw key, ECDSA as SPKI PEM; a key's id is the SHA-256 of its canonical
 * JSON, as the TUF specification defines it.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { readUserFile, SigilError, writeFileAtomic } from '../core/index.js';
import { generateKeyPair } from '../crypto/index.js';
import { tufCanonical } from './canonical.js';

export const TUF_KEY_TYPES = ['ed25519', 'ecdsa-p256'] as const;
export type TufKeyType = (typeof TUF_KEY_TYPES)[number];

export interface TufPublicKey {
  keytype: 'ed25519' | 'ecdsa';
  scheme: 'ed25519' | 'ecdsa-sha2-nistp256';
  keyval: { public: string };
}

export interface TufSignature {
  keyid: string;
  sig: string;
}

/** A role key that can sign: its id and public form for root metadata, and the private key. */
export interface RoleKey {
  id: string;
  public: TufPublicKey;
  privateKey: KeyObject;
}

export function generateRoleKey(type: TufKeyType = 'ed25519'): RoleKey {
  const { privateKey } = type === 'ed25519' ? generateKeyPair('ed25519') : generateKeyPair('ecdsa-p256');
  return roleKey(privateKey, type);
}

/** Writes a private key (owner-only); an existing file is an error unless `replace` (a key rotation). */
export async function writeRoleKey(
  path: string,
  key: RoleKey,
  options: { replace?: boolean } = {},
): Promise<void> {
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await writeFileAtomic(path, pem, { mode: 0o600, exclusive: !options.replace });
}

export function readRoleKey(path: string): RoleKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readUserFile(path, 'TUF key'));
  } catch (err) {
    if (err instanceof SigilError) throw err;
    throw new SigilError('BAD_KEY', `TUF key ${path}: not an unencrypted PKCS#8 PEM private key`);
  }
  return roleKey(privateKey, keyTypeOf(privateKey, path));
}

function keyTypeOf(key: KeyObject, where: string): TufKeyType {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ecdsa-p256';
  }
  throw new SigilError('BAD_KEY', `TUF key ${where}: an Ed25519 or ECDSA P-256 key is needed`);
}

function roleKey(privateKey: KeyObject, type: TufKeyType): RoleKey {
  const publicKey = createPublicKey(privateKey);
  const tufPublic: TufPublicKey =
    type === 'ed25519'
      ? {
          keytype: 'ed25519',
          scheme: 'ed25519',
          keyval: {
            public: Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex'),
          },
        }
      : {
          keytype: 'ecdsa',
          scheme: 'ecdsa-sha2-nistp256',
          keyval: { public: publicKey.export({ type: 'spki', format: 'pem' }) as string },
        };
  return { id: keyId(tufPublic), public: tufPublic, privateKey };
}

export function keyId(key: TufPublicKey): string {
  return createHash('sha256').update(tufCanonical(key)).digest('hex');
}

/** Signs canonical bytes: Ed25519 over the bytes, ECDSA (DER) over their SHA-256; hex, as TUF carries it. */
export function signWith(key: RoleKey, bytes: Buffer): TufSignature {
  const algorithm = key.public.keytype === 'ed25519' ? null : 'sha256';
  return { keyid: key.id, sig: sign(algorithm, bytes, key.privateKey).toString('hex') };
}
