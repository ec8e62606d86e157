/**
 * What replicas of one PostgreSQL log share besides the tree: the pending submissions (durable, one row per
 * leaf hash, so the same entry sent to two replicas at once becomes one row), the integrator's lease and
 * the notifications that wake replicas. SQL only; the policy lives in replicated-sequencer.ts.
 */
import type pg from 'pg';
import { lazyRequire } from '../core/index.js';
import type { AcceptedEntry } from './kinds.js';
import { INTEGRATED_CHANNEL } from './postgres-storage.js';

const loadPg = lazyRequire<typeof pg>('pg');

/** NOTIFY channel: a submission is waiting in tlog_pending. */
export const PENDING_CHANNEL = 'sigil_tlog_pending';

/**
 * Files a submission for the integrator. False when the same entry is already pending or logged (the
 * submitter then answers "existing", as Rekor's 409). One statement, so the row and its notification
 * commit together.
 */
export async function enqueuePending(pool: pg.Pool, entry: AcceptedEntry): Promise<boolean> {
  const { rows } = await pool.query<{ inserted: string }>(
    `WITH ins AS (
       INSERT INTO tlog_pending (leaf_hash, kind, api_version, body, index_keys)
       SELECT $1, $2, $3, $4, $5::text[]
       WHERE NOT EXISTS (SELECT 1 FROM tlog_entries WHERE leaf_hash = $1)
       ON CONFLICT (leaf_hash) DO NOTHING RETURNING 1)
     SELECT (SELECT count(*) FROM ins) AS inserted, pg_notify($6, '')`,
    [entry.leafHash, entry.kind, entry.apiVersion, entry.body, entry.indexKeys, PENDING_CHANNEL],
  );
  return Number(rows[0]?.inserted) > 0;
}

/** The oldest pending submissions, in arrival order. */
export async function readPending(pool: pg.Pool, limit: number): Promise<AcceptedEntry[]> {
  const { rows } = await pool.query<{
    leaf_hash: Buffer;
    kind: string;
    api_version: string;
    body: Buffer;
    index_keys: string[];
  }>('SELECT leaf_hash, kind, api_version, body, index_keys FROM tlog_pending ORDER BY seq LIMIT $1', [
    limit,
  ]);
  return rows.map((r) => ({
    leafHash: r.leaf_hash,
    kind: r.kind,
    apiVersion: r.api_version,
    body: r.body,
    indexKeys: r.index_keys,
  }));
}

/**
 * Forgets pending rows once their entries are logged. Done after the batch commits, not in it: a crash in
 * between leaves rows whose entries exist, which the next integrator finds logged and clears.
 */
export async function clearPending(pool: pg.Pool, leafHashes: readonly Buffer[]): Promise<void> {
  await pool.query('DELETE FROM tlog_pending WHERE leaf_hash = ANY($1::bytea[])', [leafHashes]);
}

/**
 * A connection of its own that LISTENs for the log's notifications and, when asked, holds the integrator's
 * lease: a session advisory lock on the tree ID, which PostgreSQL releases the moment this session ends,
 * whether the process was killed, the network cut (tight TCP keepalives make the server notice within
 * seconds) or the connection lost. `lost` fires once when the session breaks.
 */
export class ReplicaSession {
  private broken = false;

  private constructor(private readonly client: pg.Client) {}

  static async open(
    url: string,
    onNotify: (channel: string) => void,
    lost: (err: Error) => void,
  ): Promise<ReplicaSession> {
    const client = new (loadPg().Client)({
      connectionString: url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
    });
    await client.connect();
    const session = new ReplicaSession(client);
    const fail = (err: Error) => {
      if (session.broken) return;
      session.broken = true;
      lost(err);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('PostgreSQL session ended')));
    client.on('notification', (msg) => onNotify(msg.channel));
    // The server drops a silent peer (and so its lock) after about 2 + 3 x 1 seconds.
    await client.query(
      'SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3',
    );
    await client.query(`LISTEN ${INTEGRATED_CHANNEL}; LISTEN ${PENDING_CHANNEL}`);
    return session;
  }

  get alive(): boolean {
    return !this.broken;
  }

  /** Takes the lease if no other session holds it. */
  async tryLease(treeId: bigint): Promise<boolean> {
    const { rows } = await this.client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [treeId.toString()],
    );
    return rows[0]?.locked === true;
  }

  /** A round trip, so a dead session is noticed by the replica that holds the lease through it. */
  async ping(): Promise<void> {
    await this.client.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.broken = true;
    await this.client.end().catch(() => {});
  }
}
