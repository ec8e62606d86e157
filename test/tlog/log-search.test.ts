/**
 * The console's log search on both stores: every key (artifact hash, certificate identity, OIDC issuer,
 * public key, log index, UUID), pages newest first with a cursor, and the migration that fills the
 * `issuer:` keys in for entries logged before they existed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { keylessSigner } from '../../src/cosign/index.js';
import { generateKeyPair, verifierPem } from '../../src/crypto/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import {
  type HashedRekordProposal,
  hashedRekordProposal,
  type LogStorage,
  logKeyFrom,
  PostgresLogStorage,
  SqliteLogStorage,
  searchLog,
  TransparencyLog,
} from '../../src/tlog/index.js';
import { workDir } from '../helpers/cli.js';
import { peerMissing } from '../helpers/peers.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

const logKey = logKeyFrom(generateKeyPair().privateKey);
const { privateKey, publicKey } = generateKeyPair();
const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const KEYED = 30;

let stack: RunningStack;
let keyless: HashedRekordProposal;
let issuer: string;

before(async () => {
  stack = await startStack({ dataDir: await workDir(), host: '127.0.0.1' });
  issuer = stack.issuers['github-actions'];
  const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
  const signer = await keylessSigner(stack.urls.ca, token);
  const data = Buffer.from('keyless artifact');
  keyless = hashedRekordProposal(data, await signer.sign(data), verifierPem(signer));
});
after(() => stack?.close());

function searchSuite(
  name: string,
  open: () => Promise<LogStorage>,
  forgetIssuerKeys: () => Promise<void>,
  skip: string | false = false,
): void {
  describe(`log search: ${name}`, { skip }, () => {
    it('finds entries by every key, newest first, a page at a time', async () => {
      const log = await TransparencyLog.open(await open(), logKey, { hostname: 'localhost', intervalMs: 1 });
      try {
        const first = await log.add(keyless);
        for (let i = 0; i < KEYED; i++) await log.add(await signedHashedRekord(privateKey, `${name} ${i}`));
        const fingerprint = createHash('sha256')
          .update(publicKey.export({ type: 'spki', format: 'der' }))
          .digest('hex');
        const page1 = await searchLog(log, { field: 'publicKey', value: fingerprint, limit: 25 });
        assert.deepEqual(
          page1.entries.map((e) => e.logIndex),
          Array.from({ length: 25 }, (_, i) => KEYED - i),
        );
        assert.equal(page1.next, KEYED - 24);
        const page2 = await searchLog(log, { field: 'publicKey', value: fingerprint, before: page1.next });
        assert.deepEqual(
          page2.entries.map((e) => e.logIndex),
          [5, 4, 3, 2, 1],
        );
        assert.equal(page2.next, undefined);
        const byPem = await searchLog(log, {
          field: 'publicKey',
          value: verifierPem({ publicKey } as never),
        });
        assert.equal(byPem.entries.length, 25);

        const identity = await searchLog(log, { field: 'identity', value: IDENTITY });
        assert.deepEqual(
          identity.entries.map((e) => e.uuid),
          [first.uuid],
        );
        const byIssuer = await searchLog(log, { field: 'issuer', value: issuer });
        assert.deepEqual(
          byIssuer.entries.map((e) => [e.logIndex, e.kind, e.apiVersion]),
          [[0, 'hashedrekord', '0.0.1']],
        );
        const hash = (keyless.spec.data.hash as { value: string }).value;
        assert.equal((await searchLog(log, { field: 'hash', value: hash })).entries[0]?.uuid, first.uuid);
        assert.equal(
          (await searchLog(log, { field: 'hash', value: `SHA256:${hash.toUpperCase()}` })).entries[0]?.uuid,
          first.uuid,
        );
        assert.equal((await searchLog(log, { field: 'logIndex', value: '0' })).entries[0]?.uuid, first.uuid);
        assert.equal((await searchLog(log, { field: 'uuid', value: first.uuid })).entries[0]?.logIndex, 0);
        assert.deepEqual(
          (await searchLog(log, { field: 'identity', value: 'nobody@example.com' })).entries,
          [],
        );
        await assert.rejects(searchLog(log, { field: 'hash', value: 'not-hex' }), /hash must be hex SHA-256/);
        await assert.rejects(searchLog(log, { field: 'logIndex', value: '-1' }), /non-negative integer/);
      } finally {
        await log.close();
      }
    });

    it('a store opened at an older index version fills in the issuer keys of its entries', async () => {
      await forgetIssuerKeys();
      const log = await TransparencyLog.open(await open(), logKey, { hostname: 'localhost', intervalMs: 1 });
      try {
        const found = await searchLog(log, { field: 'issuer', value: issuer });
        assert.deepEqual(
          found.entries.map((e) => e.logIndex),
          [0],
        );
        const perMinute = await log.storage.entriesPerMinute(Math.floor(Date.now() / 1000) - 3600);
        assert.equal(
          perMinute.reduce((n, m) => n + m.count, 0),
          KEYED + 1,
        );
        const recent = await log.storage.recentCheckpoints(3);
        assert.equal(recent[0]?.size, KEYED + 1);
        assert.ok(recent.length <= 3 && (recent[1]?.size ?? 0) < KEYED + 1);
      } finally {
        await log.close();
      }
    });
  });
}

const sqlitePath = join(await mkdtemp(join(tmpdir(), 'sigil-search-')), 'log.db');
searchSuite(
  'SQLite',
  async () => new SqliteLogStorage(sqlitePath),
  async () => {
    const db = new Database(sqlitePath);
    const removed = db.prepare("DELETE FROM search WHERE key LIKE 'issuer:%'").run().changes;
    db.prepare("DELETE FROM meta WHERE key = 'search_keys'").run();
    db.close();
    assert.equal(removed, 1);
  },
);

let postgres: PostgresServer | undefined;
const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);
before(async () => {
  if (!pgSkip) postgres = await startPostgres();
});
after(() => postgres?.stop());
searchSuite(
  'PostgreSQL',
  async () => PostgresLogStorage.connect((postgres as PostgresServer).url),
  async () => {
    const client = new pg.Client({ connectionString: (postgres as PostgresServer).url });
    await client.connect();
    try {
      const removed = await client.query("DELETE FROM tlog_search WHERE key LIKE 'issuer:%'");
      await client.query("DELETE FROM tlog_meta WHERE key = 'search_keys'");
      assert.equal(removed.rowCount, 1);
    } finally {
      await client.end();
    }
  },
  pgSkip,
);
