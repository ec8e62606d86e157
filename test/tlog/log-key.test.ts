import assert from 'node:assert/strict';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import { generateKeyPair } from '../../src/crypto/index.js';
import {
  createLogKey,
  loadLogKey,
  SqliteLogStorage,
  TransparencyLog,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

describe('log keys', () => {
  for (const type of ['ecdsa-p256', 'ed25519'] as const) {
    it(`${type}: created once (0600), reloaded, and signs entries and checkpoints that verify`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sigil-logkey-'));
      const path = join(dir, 'log-key.pem');
      const created = await createLogKey(path, type);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      await assert.rejects(createLogKey(path, type), (err) => isSigilError(err, 'FILE_EXISTS'));
      const key = await loadLogKey(path);
      assert.deepEqual(key.logId, created.logId);
      const log = await TransparencyLog.open(new SqliteLogStorage(join(dir, 'log.db')), key, {
        hostname: 'log.example',
        intervalMs: 1,
      });
      const { privateKey } = generateKeyPair();
      const { entry } = await log.add(await signedHashedRekord(privateKey, 'x'));
      verifyRekorEntry(entry, { publicKey: key.publicKey });
      assert.throws(
        () => verifyRekorEntry(entry, { publicKey: generateKeyPair(type).publicKey }),
        /not the trusted log/,
      );
      await log.close();
    });
  }
});
