/**
 * Key-pair files as cosign writes them: `<prefix>.key` (encrypted, mode 0600) and `<prefix>.pub`.
 * Both are written or neither: a failure on the second removes the first.
 */
import type { KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../core/index.js';
import { encryptPrivateKey, publicKeyPem } from '../crypto/index.js';

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
}

export async function writeKeyPairFiles(
  prefix: string,
  privateKey: KeyObject,
  publicKey: KeyObject,
  password: string,
  options: { overwrite: boolean },
): Promise<KeyPairFiles> {
  const files = { privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub` };
  const encrypted = encryptPrivateKey(privateKey, password);
  const exclusive = !options.overwrite;
  await writeFileAtomic(files.privateKeyPath, encrypted, { mode: 0o600, exclusive });
  try {
    await writeFileAtomic(files.publicKeyPath, publicKeyPem(publicKey), { mode: 0o644, exclusive });
  } catch (err) {
    await rm(files.privateKeyPath, { force: true });
    throw err;
  }
  return files;
}
