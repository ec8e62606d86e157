/** The TSA's chain and key on disk (`chain.pem`, `key.pem` mode 0600), created on first use. */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/index.js';
import { createTsaMaterial, type TsaMaterial } from './authority.js';

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
