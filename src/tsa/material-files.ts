/**
 * The TSA's chain and key on disk (`chain.pem`, `key.pem` mode 0600), created on first use; or, for a key
 * held in a KMS, only the chain file.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/index.js';
import type { Signer } from '../crypto/index.js';
import { createTsaChain, createTsaMaterial, type TsaMaterial } from './authority.js';

export async function loadOrCreateTsaMaterial(dir: string): Promise<TsaMaterial> {
  const chainPath = join(dir, 'chain.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(chainPath)) {
    return { chainPem: await readFile(chainPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
  }
  await mkdir(dir, { recursive: true });
  const material = await createTsaMaterial();
  await writeFileAtomic(keyPath, material.keyPem, { mode: 0o600, exclusive: true });
  await writeFileAtomic(chainPath, material.chainPem);
  return material;
}

/** The chain at `path` for the KMS key `signer`, made (leaf for that key, a new root) if there is none. */
export async function loadOrCreateTsaChain(path: string, signer: Signer): Promise<string> {
  if (existsSync(path)) return readFile(path, 'utf8');
  await mkdir(dirname(path), { recursive: true });
  const chainPem = await createTsaChain(signer.publicKey);
  await writeFileAtomic(path, chainPem, { exclusive: true });
  return chainPem;
}
