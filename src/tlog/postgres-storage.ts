/**
 * The scale-out log store on PostgreSQL. A batch is one transaction (committed with the server's
 * synchronous_commit, so durable when acknowledged); bulk inserts go through unnest() arrays. Only one
 * sequencer may write a tree: it holds a session advisory lock on the tree ID for as long as it runs.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { lazyRequire, SigilError } from '../core/index.js';
import type { NodeId } from './merkle.js';
import {
  type Batch,
  type EntryRow,
  entryFromRow,
  type LogStorage,
  NodeCache,
  type StoredCheckpoint,
  type StoredEntry,
} from './storage.js';

const loadPg = lazyRequire<typeof pg>('pg');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tlog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tlog_entries (
  idx BIGINT PRIMARY KEY,
  leaf_hash BYTEA NOT NULL UNIQUE,
  body BYTEA NOT NULL,
  integrated_time BIGINT NOT NULL,
  sete TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tlog_nodes (level INT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx));
CREATE TABLE IF NOT EXISTS tlog_checkpoints (size BIGINT PRIMARY KEY, root_hash BYTEA NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tlog_search (key TEXT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (key, idx));
`;

export class PostgresLogStorage implements LogStorage {
  private readonly nodeCache = new NodeCache();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly lockClient: pg.PoolClient,
    private readonly id: bigint,
  ) {}

  /** Connects, creates the schema if needed, and takes the tree's writer lock (fails if another holds it). */
  static async connect(url: string): Promise<PostgresLogStorage> {
    const pool = new (loadPg().Pool)({ connectionString: url, max: 8 });
    let lockClient: pg.PoolClient | undefined;
    try {
      await pool.query(SCHEMA);
      const fresh = (randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn).toString();
      await pool.query(
        "INSERT INTO tlog_meta (key, value) VALUES ('tree_id', $1) ON CONFLICT (key) DO NOTHING",
        [fresh],
      );
      const { rows } = await pool.query<{ value: string }>(
        "SELECT value FROM tlog_meta WHERE key = 'tree_id'",
      );
      const id = BigInt(rows[0]?.value ?? '0');
      lockClient = await pool.connect();
      const lock = await lockClient.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [id.toString()],
      );
      if (!lock.rows[0]?.locked) {
        throw new SigilError(
          'UNSUPPORTED',
          `another sequencer is writing tree ${id} in this database`,
          'run one tlog writer per database',
        );
      }
      return new PostgresLogStorage(pool, lockClient, id);
    } catch (err) {
      lockClient?.release();
      await pool.end();
      if (err instanceof SigilError) throw err;
      throw new SigilError('IO_ERROR', `PostgreSQL ${redact(url)}: ${(err as Error).message}`);
    }
  }

  async treeId(): Promise<bigint> {
    return this.id;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.pool.query<{ size: string; root_hash: Buffer; note: string }>(
      'SELECT size, root_hash, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1',
    );
    const row = rows[0];
    return row && { size: Number(row.size), rootHash: row.root_hash, note: row.note };
  }

  async entryByIndex(index: number): Promise<StoredEntry | undefined> {
    return entryFromRow(
      (await this.pool.query<EntryRow>('SELECT * FROM tlog_entries WHERE idx = $1', [index])).rows[0],
    );
  }

  async entryByLeafHash(leafHash: Buffer): Promise<StoredEntry | undefined> {
    return entryFromRow(
      (await this.pool.query<EntryRow>('SELECT * FROM tlog_entries WHERE leaf_hash = $1', [leafHash]))
        .rows[0],
    );
  }

  async loggedLeafHashes(leafHashes: readonly Buffer[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM tlog_entries WHERE leaf_hash = ANY($1::bytea[])',
      [leafHashes],
    );
    return new Set(rows.map((r) => r.leaf_hash.toString('hex')));
  }

  async search(key: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ idx: string }>(
      'SELECT idx FROM tlog_search WHERE key = $1 ORDER BY idx',
      [key],
    );
    return rows.map((r) => Number(r.idx));
  }

  getNodeHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
    return this.nodeCache.read(nodes, async (missing) => {
      const { rows } = await this.pool.query<{ level: number; idx: string; hash: Buffer }>(
        'SELECT n.level, n.idx, n.hash FROM tlog_nodes n JOIN unnest($1::int[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx',
        [missing.map((n) => n.level), missing.map((n) => n.index)],
      );
      const byKey = new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
      return missing.map((n) => byKey.get(`${n.level}/${n.index}`));
    });
  }

  async appendBatch(batch: Batch): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (batch.entries.length > 0) {
        await client.query(
          'INSERT INTO tlog_entries (idx, leaf_hash, body, integrated_time, sete) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bigint[], $5::text[])',
          [
            batch.entries.map((e) => e.index),
            batch.entries.map((e) => e.leafHash),
            batch.entries.map((e) => e.body),
            batch.entries.map((e) => e.integratedTime),
            batch.entries.map((e) => e.set),
          ],
        );
      }
      if (batch.nodes.length > 0) {
        await client.query(
          'INSERT INTO tlog_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[]) ON CONFLICT (level, idx) DO UPDATE SET hash = EXCLUDED.hash',
          [
            batch.nodes.map((n) => n.node.level),
            batch.nodes.map((n) => n.node.index),
            batch.nodes.map((n) => n.hash),
          ],
        );
      }
      if (batch.index.length > 0) {
        await client.query(
          'INSERT INTO tlog_search (key, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING',
          [batch.index.map((i) => i.key), batch.index.map((i) => i.index)],
        );
      }
      await client.query('INSERT INTO tlog_checkpoints (size, root_hash, note) VALUES ($1, $2, $3)', [
        batch.checkpoint.size,
        batch.checkpoint.rootHash,
        batch.checkpoint.note,
      ]);
      await client.query('COMMIT');
      this.nodeCache.remember(batch.nodes);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw new SigilError('IO_ERROR', `PostgreSQL: batch not written: ${(err as Error).message}`);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    this.lockClient.release();
    await this.pool.end();
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
}
