/**
 * What replicas of one PostgreSQL log share besides the tree: the pending submissions (durable, one row per
 * leaf hash, so the same entry sent to two replicas at once becomes one row), the integrator's lease and
 * the notifications that wake replicas. SQL only; the policy lives in replicated-sequencer.ts.
 */
import type pg from 'pg';
import { lazyRequire, SigilError } from '../core/index.js';
import type { AcceptedEntry } from './kinds.js';
import { INTEGRATED_CHANNEL } from './postgres-storage.js';

const loadPg = lazyRequire<typeof pg>('pg');

/** NOTIFY channel: a submission is waiting in tlog_pending. */
export const PENDING_CHANNEL = 'sigil_tlog_pending';

/**
 * Records which key and checkpoint origin sign this database's log (the first replica decides) and refuses
 * a replica that would sign with another: one tree signed under two identities would split its clients.
 */
export async function claimLogIdentity(pool: pg.Pool, logId: string, origin: string): Promise<void> {
  const identity = `${logId} ${origin}`;
  await pool.query("INSERT INTO tlog_meta (key, value) VALUES ('signer', $1) ON CONFLICT (key) DO NOTHING", [
    identity,
  ]);
  const { rows } = await pool.query<{ value: string }>("SELECT value FROM tlog_meta WHERE key = 'signer'");
  const stored = rows[0]?.value;
  if (stored !== identity) {
    throw new SigilError(
      'BAD_KEY',
      `this database's log is signed as "${stored}" (log ID, origin), this replica would sign as "${identity}"`,
      'give every replica the same log key (log-key.pem) and --hostname',
    );
  }
}

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
 * A connection of its own that LISTENs for the log's notifications and holds the integrator's lease: one
 * row naming the holder, its session and an expiry it renews every round. Another replica takes the lease
 * once it has expired (a frozen or cut-off holder) or at once when the holder's session is gone from the
 * server (killed process, lost connection: PostgreSQL ends the backend). `lost` fires when this session
 * breaks.
 */
export class ReplicaSession {
  private broken = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly replicaId: string,
  ) {}

  static async open(
    url: string,
    replicaId: string,
    onNotify: () => void,
    lost: () => void,
  ): Promise<ReplicaSession> {
    const client = new (loadPg().Client)({
      connectionString: url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
    });
    const session = new ReplicaSession(client, replicaId);
    const fail = () => {
      if (session.broken) return;
      session.broken = true;
      lost();
    };
    client.on('error', fail);
    client.on('end', fail);
    client.on('notification', () => onNotify());
    await client.connect();
    // The server ends a silent peer's backend (freeing the lease at once) after about 2 + 3 x 1 seconds.
    await client.query(
      'SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3',
    );
    await client.query(`LISTEN ${INTEGRATED_CHANNEL}; LISTEN ${PENDING_CHANNEL}`);
    return session;
  }

  get alive(): boolean {
    return !this.broken;
  }

  /** Takes the lease if it is free, expired or its holder's session is gone, or renews our own. */
  async holdLease(ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.client.query(
      `INSERT INTO tlog_lease AS l (id, holder, holder_pid, expires_at)
       VALUES (1, $1, pg_backend_pid(), clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE
         SET holder = EXCLUDED.holder, holder_pid = EXCLUDED.holder_pid, expires_at = EXCLUDED.expires_at
         WHERE l.holder = EXCLUDED.holder
            OR l.expires_at < clock_timestamp()
            OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = l.holder_pid)
       RETURNING 1`,
      [this.replicaId, ttlMs],
    );
    return rowCount === 1;
  }

  /** Gives the lease up (a clean shutdown), so the next replica need not wait for it to expire. */
  async releaseLease(): Promise<void> {
    await this.client.query('DELETE FROM tlog_lease WHERE holder = $1', [this.replicaId]);
  }

  async close(): Promise<void> {
    this.broken = true;
    await this.client.end().catch(() => {});
  }
}
