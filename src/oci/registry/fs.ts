/**
 * The few filesystem moves the registry's stores share. Writes go through `writeFileAtomic` (temp file,
 * fsync, rename), so readers only ever see whole files; listings skip its temporary siblings.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../core/index.js';

export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, data);
}

/** The file's size, or undefined when it does not exist (or is not a regular file). */
export async function fileSize(path: string): Promise<number | undefined> {
  const found = await stat(path).catch(() => undefined);
  return found?.isFile() ? found.size : undefined;
}

export async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

/** Entry names of a directory, sorted, without in-flight temporary files; empty when it does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return names.filter((name) => !name.endsWith('.tmp')).sort();
}
