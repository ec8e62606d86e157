/**
 * The embedded log store: one SQLite file in WAL mode with synchronous=FULL, so a committed batch survives
 * a crash or kill -9; each batch is one transaction, all-or-nothing, committed on a writer thread
 * (sqlite-writer.ts) while this connection serves the reads.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { lazyOptionalRequire } from '../core/index.js';
import { storedBodySearchKeys } from './entry-keys.js';
import type { NodeId } from './merkle.js';
import { batchCommitter } from './sqlite-batch.js';
import { SqliteBatchWriter } from './sqlite-writer.js';
import {
  type Batch,
  type EntryRow,
  entryFromRow,
  type LogStorage,
  type MinuteCount,
  minuteCounts,
  NodeCache,
  SEARCH_KEYS_VERSION,
  type SearchPage,
  type StoredCheckpoint,
  type StoredEntry,
} from './storage.js';

const loadSqlite = lazyOptionalRequire<typeof Database>('better-sqlite3', 'the embedded log store (SQLite)');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  leaf_hash BLOB NOT NULL UNIQUE,
  body BLOB NOT NULL,
  integrated_time INTEGER NOT NULL,
  sete TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root_hash BLOB NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS search (key TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID;
`;

export class SqliteLogStorage implements LogStorage {
  private readonly nodeCache = new NodeCache();
  private readonly db: Database.Database;
  private readonly statements;
  private readonly commit: (batch: Batch) => Promise<void>;
  private readonly closeWriter: () => Promise<void> = async () => {};

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new (loadSqlite())(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    migrateSqliteLog(this.db);
    this.db
      .prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('tree_id', ?)")
      .run(randomTreeId().toString());
    this.statements = {
      treeId: this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'tree_id'"),
      latest: this.db.prepare<[], { size: number; root_hash: Buffer; note: string }>(
        'SELECT size, root_hash, note FROM checkpoints ORDER BY size DESC LIMIT 1',
      ),
      byIndex: this.db.prepare<[number], EntryRow>('SELECT * FROM entries WHERE idx = ?'),
      byLeaf: this.db.prepare<[Buffer], EntryRow>('SELECT * FROM entries WHERE leaf_hash = ?'),
      search: this.db.prepare<[string], { idx: number }>('SELECT idx FROM search WHERE key = ? ORDER BY idx'),
      searchPage: this.db.prepare<[string, number, number], { idx: number }>(
        'SELECT idx FROM search WHERE key = ? AND idx < ? ORDER BY idx DESC LIMIT ?',
      ),
      firstFrom: this.db.prepare<[number], { idx: number }>(
        'SELECT idx FROM entries WHERE integrated_time >= ? ORDER BY integrated_time, idx LIMIT 1',
      ),
      size: this.db.prepare<[], { size: number | null }>('SELECT max(idx) + 1 AS size FROM entries'),
      recent: this.db.prepare<[number], { size: number; root_hash: Buffer; note: string }>(
        'SELECT size, root_hash, note FROM checkpoints ORDER BY size DESC LIMIT ?',
      ),
      node: this.db.prepare<[number, number], { hash: Buffer }>(
        'SELECT hash FROM nodes WHERE level = ? AND idx = ?',
      ),
    };
    // A file is written by a worker thread over its own connection (SQLite's fsync off the serving
    // thread); an in-memory database exists only in this connection, which then writes it too.
    if (path === ':memory:') {
      const commit = batchCommitter(this.db);
      this.commit = async (batch) => commit(batch);
    } else {
      const writer = new SqliteBatchWriter(path);
      this.commit = (batch) => writer.write(batch);
      this.closeWriter = () => writer.close();
    }
  }

  async treeId(): Promise<bigint> {
    return BigInt(this.statements.treeId.get()?.value ?? '0');
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const row = this.statements.latest.get();
    return row && { size: row.size, rootHash: row.root_hash, note: row.note };
  }

  async entryByIndex(index: number): Promise<StoredEntry | undefined> {
    return entryFromRow(this.statements.byIndex.get(index));
  }

  async entryByLeafHash(leafHash: Buffer): Promise<StoredEntry | undefined> {
    return entryFromRow(this.statements.byLeaf.get(leafHash));
  }

  async loggedLeafHashes(leafHashes: readonly Buffer[]): Promise<Set<string>> {
    return new Set(leafHashes.filter((h) => this.statements.byLeaf.get(h)).map((h) => h.toString('hex')));
  }

  async search(key: string): Promise<number[]> {
    return this.statements.search.all(key).map((r) => r.idx);
  }

  async searchPage(key: string, page: SearchPage): Promise<number[]> {
    return this.statements.searchPage
      .all(key, page.before ?? Number.MAX_SAFE_INTEGER, page.limit)
      .map((r) => r.idx);
  }

  async entriesPerMinute(sinceSeconds: number): Promise<MinuteCount[]> {
    const size = this.statements.size.get()?.size ?? 0;
    return minuteCounts(
      sinceSeconds,
      Date.now() / 1000,
      size,
      async (seconds) => this.statements.firstFrom.get(seconds)?.idx,
    );
  }

  async recentCheckpoints(limit: number): Promise<StoredCheckpoint[]> {
    return this.statements.recent
      .all(limit)
      .map((r) => ({ size: r.size, rootHash: r.root_hash, note: r.note }));
  }

  getNodeHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
    return this.nodeCache.read(nodes, async (missing) =>
      missing.map(({ level, index }) => this.statements.node.get(level, index)?.hash),
    );
  }

  async appendBatch(batch: Batch): Promise<void> {
    await this.commit(batch);
    this.nodeCache.remember(batch.nodes);
  }

  async close(): Promise<void> {
    await this.closeWriter();
    this.db.close();
  }
}

const MIGRATION_CHUNK = 2000;

/**
 * Brings an existing log file up to this version's indexes: integrated times indexed (entries per minute),
 * and search keys added since its entries were logged (SEARCH_KEYS_VERSION), read back from the bodies.
 * Runs once per file; each chunk is one transaction, and the version is written after the last.
 */
function migrateSqliteLog(db: Database.Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS entries_integrated_time ON entries (integrated_time)');
  const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'search_keys'").get();
  if (version?.value === SEARCH_KEYS_VERSION) return;
  const chunk = db.prepare<[number, number], { idx: number; body: Buffer }>(
    'SELECT idx, body FROM entries WHERE idx > ? ORDER BY idx LIMIT ?',
  );
  const insert = db.prepare('INSERT OR IGNORE INTO search (key, idx) VALUES (?, ?)');
  const fill = db.transaction((rows: { idx: number; body: Buffer }[]) => {
    for (const row of rows) for (const key of storedBodySearchKeys(row.body)) insert.run(key, row.idx);
  });
  for (let after = -1; ; ) {
    const rows = chunk.all(after, MIGRATION_CHUNK);
    if (rows.length === 0) break;
    fill(rows);
    after = (rows.at(-1) as { idx: number }).idx;
  }
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('search_keys', ?)").run(SEARCH_KEYS_VERSION);
}

/** A positive int64, as Trillian tree IDs are; it prefixes entry UUIDs. */
function randomTreeId(): bigint {
  return randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
}
