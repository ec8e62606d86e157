/**
 * Key pairs as cosign stores them: the private key encrypted under the password, the public key as PEM;
 * in files `<prefix>.key` (mode 0600) and `<prefix>.pub`, both written or neither (a failure on the second
 * removes the first), or wherever the caller puts the PEM text (a Kubernetes Secret).
 */
import type { KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../core/index.js';
import { encryptPrivateKey, publicKeyPem } from '../crypto/index.js';

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
}

export interface EncodedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function encodeKeyPair(privateKey: KeyObject, publicKey: KeyObject, password: string): EncodedKeyPair {
  return { privateKeyPem: encryptPrivateKey(privateKey, password), publicKeyPem: publicKeyPem(publicKey) };
}

export async function writeKeyPairFiles(
  prefix: string,
  privateKey: KeyObject,
  publicKey: KeyObject,
  password: string,
  options: { overwrite: boolean },
): Promise<KeyPairFiles> {
  const files = { privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub` };
  const pems = encodeKeyPair(privateKey, publicKey, password);
  const exclusive = !options.overwrite;
  await writeFileAtomic(files.privateKeyPath, pems.privateKeyPem, { mode: 0o600, exclusive });
  try {
    await writeFileAtomic(files.publicKeyPath, pems.publicKeyPem, { mode: 0o644, exclusive });
  } catch (err) {
    await rm(files.privateKeyPath, { force: true });
    throw err;
  }
  return files;
}
