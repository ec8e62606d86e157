/**
 * The scale-out log store on PostgreSQL. A batch is one transaction (committed with the server's
 * synchronous_commit, so durable when acknowledged); bulk inserts go through unnest() arrays. Any number of
 * replicas may open the same tree; which one writes is decided by the lease (postgres-replication.ts), and
 * every batch is fenced: it must extend the newest stored checkpoint, checked under a row lock, so a writer
 * that lost the lease (or never had it) can never write a fork or give an index twice.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { lazyRequire, SigilError } from '../core/index.js';
import { storedBodySearchKeys } from './entry-keys.js';
import type { NodeId } from './merkle.js';
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
CREATE TABLE IF NOT EXISTS tlog_pending (
  seq BIGSERIAL PRIMARY KEY,
  leaf_hash BYTEA NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  api_version TEXT NOT NULL,
  body BYTEA NOT NULL,
  index_keys TEXT[] NOT NULL
);
CREATE TABLE IF NOT EXISTS tlog_lease (
  id INT PRIMARY KEY CHECK (id = 1),
  holder TEXT NOT NULL,
  holder_pid INT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
`;

/**
 * Server-side limits on every pooled session: a writer that vanished mid-transaction (network cut, frozen
 * process) must not keep the tree row locked, which would stall the next integrator's fence.
 */
const SESSION_OPTIONS =
  '-c idle_in_transaction_session_timeout=5000 -c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3';

/** NOTIFY channel: a batch was committed (payload: the new tree size). */
export const INTEGRATED_CHANNEL = 'sigil_tlog_integrated';

export class PostgresLogStorage implements LogStorage {
  private readonly nodeCache = new NodeCache();

  /** This replica's name in the lease row: only the lease holder's batches pass the fence. */
  readonly replicaId = randomUUID();

  private constructor(
    /** Shared with the replication (pending submissions, lease, notifications). */
    readonly pool: pg.Pool,
    readonly url: string,
    private readonly id: bigint,
  ) {}

  /** Connects and creates the schema if needed. Many replicas may connect to the same tree. */
  static async connect(url: string): Promise<PostgresLogStorage> {
    const pool = new (loadPg().Pool)({
      connectionString: url,
      max: 8,
      options: SESSION_OPTIONS,
      keepAlive: true,
    });
    // An idle pooled connection that breaks must not crash the process; the next query reports it.
    pool.on('error', () => {});
    try {
      // Concurrent replicas starting on an empty database would race on CREATE TABLE IF NOT EXISTS.
      await pool.query('SELECT pg_advisory_lock(0)');
      try {
        await pool.query(SCHEMA);
        await migratePostgresLog(pool);
      } finally {
        await pool.query('SELECT pg_advisory_unlock(0)');
      }
      const fresh = (randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn).toString();
      await pool.query(
        "INSERT INTO tlog_meta (key, value) VALUES ('tree_id', $1) ON CONFLICT (key) DO NOTHING",
        [fresh],
      );
      const { rows } = await pool.query<{ value: string }>(
        "SELECT value FROM tlog_meta WHERE key = 'tree_id'",
      );
      return new PostgresLogStorage(pool, url, BigInt(rows[0]?.value ?? '0'));
    } catch (err) {
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

  /** The logged entries among these leaf hashes: one query for every submission a replica waits on. */
  async entriesByLeafHashes(leafHashes: readonly Buffer[]): Promise<StoredEntry[]> {
    const { rows } = await this.pool.query<EntryRow>(
      'SELECT * FROM tlog_entries WHERE leaf_hash = ANY($1::bytea[])',
      [leafHashes],
    );
    return rows.map((r) => entryFromRow(r) as StoredEntry);
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

  async searchPage(key: string, page: SearchPage): Promise<number[]> {
    const { rows } = await this.pool.query<{ idx: string }>(
      'SELECT idx FROM tlog_search WHERE key = $1 AND idx < $2 ORDER BY idx DESC LIMIT $3',
      [key, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
    );
    return rows.map((r) => Number(r.idx));
  }

  async entriesPerMinute(sinceSeconds: number): Promise<MinuteCount[]> {
    const { rows } = await this.pool.query<{ size: string | null }>(
      'SELECT max(idx) + 1 AS size FROM tlog_entries',
    );
    return minuteCounts(sinceSeconds, Date.now() / 1000, Number(rows[0]?.size ?? 0), async (seconds) => {
      const found = await this.pool.query<{ idx: string }>(
        'SELECT idx FROM tlog_entries WHERE integrated_time >= $1 ORDER BY integrated_time, idx LIMIT 1',
        [seconds],
      );
      return found.rows[0] ? Number(found.rows[0].idx) : undefined;
    });
  }

  async recentCheckpoints(limit: number): Promise<StoredCheckpoint[]> {
    const { rows } = await this.pool.query<{ size: string; root_hash: Buffer; note: string }>(
      'SELECT size, root_hash, note FROM tlog_checkpoints ORDER BY size DESC LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ size: Number(r.size), rootHash: r.root_hash, note: r.note }));
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
    // Between two queries of the batch the client has none running, and pg emits a broken connection
    // (PostgreSQL restarted, network cut) as an 'error' event, which would crash the process unheard: the
    // next query fails instead and the batch is refused as below.
    const ignore = () => {};
    client.on('error', ignore);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await this.fence(client, batch);
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
      await client.query('SELECT pg_notify($1, $2)', [INTEGRATED_CHANNEL, String(batch.checkpoint.size)]);
      await client.query('COMMIT');
      this.nodeCache.remember(batch.nodes);
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw new SigilError('IO_ERROR', `PostgreSQL: batch not written: ${broken.message}`);
    } finally {
      client.off('error', ignore);
      // A client whose batch failed may be broken: destroyed, not handed back to the pool.
      client.release(broken);
    }
  }

  /**
   * The writer must hold an unexpired lease (by the database's clock, not its own) and the batch must
   * extend the newest stored checkpoint (the first batch: an empty store). The tree row is locked for the
   * rest of the transaction, so two writers are serialised and the later one sees the first one's
   * checkpoint and is refused: the tree stays one linear history whoever believes it holds the lease.
   */
  private async fence(client: pg.PoolClient, batch: Batch): Promise<void> {
    await client.query("SELECT value FROM tlog_meta WHERE key = 'tree_id' FOR UPDATE");
    const lease = await client.query(
      'SELECT 1 FROM tlog_lease WHERE holder = $1 AND expires_at > clock_timestamp()',
      [this.replicaId],
    );
    if (lease.rowCount !== 1)
      throw new SigilError('IO_ERROR', 'this replica does not hold the integrator lease');
    const { rows } = await client.query<{ size: string | null }>(
      'SELECT max(size) AS size FROM tlog_checkpoints',
    );
    const stored = rows[0]?.size == null ? undefined : Number(rows[0].size);
    const extending = batch.entries.length === 0 ? undefined : batch.checkpoint.size - batch.entries.length;
    const fits = extending === undefined ? stored === undefined : stored === extending;
    if (!fits) {
      throw new SigilError(
        'IO_ERROR',
        `the tree is at size ${stored ?? 'none'}, this batch extends ${extending ?? 'an empty tree'}: another replica integrated meanwhile`,
      );
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const MIGRATION_CHUNK = 2000;

/**
 * Brings an existing database up to this version's indexes (run under the schema lock, once): integrated
 * times indexed, and search keys added since its entries were logged, read back from the bodies.
 */
async function migratePostgresLog(pool: pg.Pool): Promise<void> {
  await pool.query(
    'CREATE INDEX IF NOT EXISTS tlog_entries_integrated_time ON tlog_entries (integrated_time, idx)',
  );
  const version = await pool.query<{ value: string }>(
    "SELECT value FROM tlog_meta WHERE key = 'search_keys'",
  );
  if (version.rows[0]?.value === SEARCH_KEYS_VERSION) return;
  for (let after = -1; ; ) {
    const { rows } = await pool.query<{ idx: string; body: Buffer }>(
      'SELECT idx, body FROM tlog_entries WHERE idx > $1 ORDER BY idx LIMIT $2',
      [after, MIGRATION_CHUNK],
    );
    if (rows.length === 0) break;
    const keys = rows.flatMap((r) => storedBodySearchKeys(r.body).map((key) => ({ key, idx: r.idx })));
    if (keys.length > 0) {
      await pool.query(
        'INSERT INTO tlog_search (key, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING',
        [keys.map((k) => k.key), keys.map((k) => k.idx)],
      );
    }
    after = Number((rows.at(-1) as { idx: string }).idx);
  }
  await pool.query(
    "INSERT INTO tlog_meta (key, value) VALUES ('search_keys', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    [SEARCH_KEYS_VERSION],
  );
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
}
