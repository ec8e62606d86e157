import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { SigilError } from './errors.js';

/**
 * Writes a file atomically: a temporary sibling is written and fsynced, then renamed over the target,
 * so a crash or an error never leaves a half-written file. With `exclusive`, an existing target is an error.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; exclusive?: boolean } = {},
): Promise<void> {
  if (options.exclusive) {
    // Reserve the name first so that a concurrent writer or an existing file is reported, not clobbered.
    try {
      await (await open(path, 'wx', options.mode ?? 0o644)).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SigilError('FILE_EXISTS', `${path} already exists`, 'remove it or choose another name');
      }
      throw new SigilError('IO_ERROR', `cannot create ${path}: ${(err as Error).message}`);
    }
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'w', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    if (options.exclusive) await rm(path, { force: true });
    throw new SigilError('IO_ERROR', `cannot write ${path}: ${(err as Error).message}`);
  }
}

/** Reads a file named on the command line, with an error that says which file and why. */
export function readUserFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    throw new SigilError('IO_ERROR', `${what} ${path}: ${reason ?? (err as Error).message}`);
  }
}
