/**
 * One writer at a time per repository, across processes: `sigil tuf serve` re-signs on its timer while an
 * operator's `sigil tuf add-target` or `rotate-keys` may run. Two writers would sign the same version
 * numbers with different contents, and clients would refuse the mix. The lock is a file created
 * exclusively; one left by a crashed writer is taken over once it is older than any write takes.
 */
import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SigilError } from '../core/index.js';

const STALE_MS = 60_000;
const WAIT_MS = 15_000;
const POLL_MS = 50;

export async function withLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      await (await open(path, 'wx', 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SigilError('IO_ERROR', `cannot create the lock ${path}: ${(err as Error).message}`);
      }
    }
    const since = await stat(path).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (since > STALE_MS) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new SigilError('TIMEOUT', `${path} is held by another writer of the repository`, 'retry shortly');
    }
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}
