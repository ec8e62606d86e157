/**
 * One suite for every log store (SQLite, PostgreSQL): the log built on it answers the same, proofs
 * verify, duplicates are found, a reopened store resumes the same tree.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/index.js';
import {
  type LogStorage,
  logKeyFrom,
  PostgresLogStorage,
  SqliteLogStorage,
  TransparencyLog,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { peerMissing } from '../helpers/peers.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

const logKey = logKeyFrom(generateKeyPair().privateKey);
const { privateKey, publicKey } = generateKeyPair();

function storageSuite(name: string, open: () => Promise<LogStorage>, skip: string | false = false): void {
  describe(`log storage: ${name}`, { skip }, () => {
    it('integrates entries, proves them, finds duplicates and searches', async () => {
      const log = await TransparencyLog.open(await open(), logKey, { hostname: 'localhost', intervalMs: 1 });
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, async (_, i) =>
            log.add(await signedHashedRekord(privateKey, `${name} ${i}`)),
          ),
        );
        assert.deepEqual(
          results.map((r) => r.entry.logIndex).sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i),
        );
        for (const r of results) verifyRekorEntry(r.entry, { publicKey: logKey.publicKey });
        const first = results[0];
        assert.ok(first);
        const again = await log.add(JSON.parse(Buffer.from(first.entry.body, 'base64').toString()));
        assert.equal(again.existing, true);
        assert.equal(again.uuid, first.uuid);
        const fetched = await log.byIndex(first.entry.logIndex);
        assert.equal(fetched?.entry.body, first.entry.body);
        verifyRekorEntry(fetched?.entry as never, { publicKey: logKey.publicKey });
        const keyHash = createHash('sha256')
          .update(publicKey.export({ type: 'spki', format: 'der' }))
          .digest('hex');
        assert.equal((await log.search(`key:${keyHash}`)).length, 40);
        const proof = await log.consistency(10, 40);
        assert.ok(proof.hashes.length > 0);
      } finally {
        await log.close();
      }
    });

    it('resumes the same tree when reopened', async () => {
      const log = await TransparencyLog.open(await open(), logKey, { hostname: 'localhost', intervalMs: 1 });
      const before = await log.checkpoint();
      const added = await log.add(await signedHashedRekord(privateKey, `${name} after reopen`));
      assert.equal(added.entry.logIndex, before.size);
      verifyRekorEntry(added.entry, { publicKey: logKey.publicKey });
      await log.close();
    });
  });
}

const sqlitePath = join(await mkdtemp(join(tmpdir(), 'sigil-sqlite-')), 'log.db');
storageSuite('SQLite', async () => new SqliteLogStorage(sqlitePath));

let postgres: PostgresServer | undefined;
const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);
before(async () => {
  if (!pgSkip) postgres = await startPostgres();
});
after(() => postgres?.stop());
storageSuite('PostgreSQL', async () => PostgresLogStorage.connect((postgres as PostgresServer).url), pgSkip);
