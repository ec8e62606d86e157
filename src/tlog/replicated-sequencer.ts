/**
 * One replica of a log that several `sigil tlog serve --database postgres://...` share. Every replica
 * accepts submissions and serves reads from the database; the one holding the lease integrates.
 *
 * - The lease holder runs the ordinary Sequencer (group commit, tree in memory): its own submissions go
 *   straight to it, and it integrates what other replicas filed in the pending table.
 * - Other replicas file submissions in the pending table (durable before anything is answered) and wait
 *   for the entry to appear in the log, woken by NOTIFY and, should a notification be missed, by polling.
 *   The answer is the stored entry, so it is acknowledged only once integrated and durable, as before.
 * - When the holder dies its session ends and the next replica to look takes the lease at once (a frozen or
 *   cut-off holder: once the lease expires), reloads the tree from storage and goes on from the newest
 *   checkpoint. Every batch is fenced in its transaction (postgres-storage.ts): a deposed holder still
 *   writing is refused, never forked.
 */
import { SigilError } from '../core/index.js';
import type { AcceptedEntry } from './kinds.js';
import type { LogKey } from './log-key.js';
import {
  claimLogIdentity,
  clearPending,
  enqueuePending,
  ReplicaSession,
  readPending,
} from './postgres-replication.js';
import type { PostgresLogStorage } from './postgres-storage.js';
import { type Integrated, Sequencer, type SequencerOptions } from './sequencer.js';
import type { StoredCheckpoint } from './storage.js';

export interface ReplicationOptions {
  /** How often a replica renews or retries the lease and looks for integrated entries unnotified. */
  pollMs?: number;
  /** How long a lease lasts unrenewed: the takeover time when a holder freezes or is cut off. */
  leaseMs?: number;
  /** How long a submission filed for the integrator waits for its entry before it is answered an error. */
  answerWithinMs?: number;
}

interface Waiter {
  existing: boolean;
  resolve(result: Integrated): void;
  reject(err: unknown): void;
}

export class ReplicatedSequencer {
  private session: ReplicaSession | undefined;
  private integrator: Sequencer | undefined;
  private readonly waiting = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  private constructor(
    private readonly storage: PostgresLogStorage,
    private readonly key: LogKey,
    private readonly options: SequencerOptions,
    private readonly pollMs: number,
    private readonly leaseMs: number,
    private readonly answerWithinMs: number,
  ) {}

  static async start(
    storage: PostgresLogStorage,
    key: LogKey,
    options: SequencerOptions,
    replication: ReplicationOptions = {},
  ): Promise<ReplicatedSequencer> {
    await claimLogIdentity(storage.pool, key.logId.toString('hex'), options.origin);
    const replica = new ReplicatedSequencer(
      storage,
      key,
      options,
      replication.pollMs ?? 250,
      replication.leaseMs ?? 3000,
      replication.answerWithinMs ?? 120_000,
    );
    replica.timer = setInterval(() => replica.wake(), replica.pollMs);
    // Reads need a checkpoint: the first lease holder writes the empty tree's.
    while (!(await storage.latestCheckpoint())) {
      replica.wake();
      await replica.running;
      if (!(await storage.latestCheckpoint())) await new Promise((r) => setTimeout(r, replica.pollMs));
    }
    return replica;
  }

  /** Whether this replica holds the lease and integrates (the others only file and read). */
  get integrating(): boolean {
    return this.integrator !== undefined;
  }

  async submit(accepted: AcceptedEntry): Promise<Integrated> {
    const integrator = this.integrator;
    if (integrator) {
      try {
        return await integrator.submit(accepted);
      } catch {
        // The lease was lost or another replica integrated first: file it like any other replica.
        this.dropIntegrator(integrator);
      }
    }
    const inserted = await enqueuePending(this.storage.pool, accepted);
    const hex = accepted.leafHash.toString('hex');
    const integrated = new Promise<Integrated>((resolve, reject) => {
      const list = this.waiting.get(hex) ?? [];
      list.push({ existing: !inserted, resolve, reject });
      this.waiting.set(hex, list);
    });
    // Not answered forever when no replica integrates (none can reach the database, say): the entry is
    // then not acknowledged, and submitting it again learns its index once it is integrated.
    const timer = setTimeout(() => {
      const list = this.waiting.get(hex) ?? [];
      this.waiting.delete(hex);
      for (const w of list)
        w.reject(
          new SigilError('TIMEOUT', `entry ${hex} was not integrated within ${this.answerWithinMs} ms`),
        );
    }, this.answerWithinMs);
    integrated.finally(() => clearTimeout(timer)).catch(() => {});
    this.wake();
    return integrated;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint> {
    if (this.integrator) return this.integrator.checkpoint;
    const latest = await this.storage.latestCheckpoint();
    if (!latest) throw new SigilError('IO_ERROR', 'the log has no checkpoint');
    return latest;
  }

  async drain(): Promise<void> {
    await this.integrator?.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    const integrator = this.integrator;
    this.integrator = undefined;
    await integrator?.drain();
    integrator?.close();
    await this.session?.releaseLease().catch(() => {});
    await this.session?.close();
    for (const list of this.waiting.values())
      for (const w of list) w.reject(new SigilError('IO_ERROR', 'the log replica is closing'));
    this.waiting.clear();
  }

  /** Runs a round now, or right after the one in progress. */
  private wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.closed);
      this.running = undefined;
    })();
  }

  /** Keeps the session and lease, integrates pending rows when holding it, answers waiting submitters. */
  private async round(): Promise<void> {
    if (this.closed) return; // close() drains the integrator itself
    try {
      const session = await this.currentSession();
      const held = await session.holdLease(this.leaseMs);
      if (!held) this.dropIntegrator();
      else if (!this.integrator) {
        // A new holder (or one whose write was refused) starts from what is stored.
        this.integrator = await Sequencer.start(this.storage, this.key, this.options);
      }
      if (this.integrator) await this.integratePending(this.integrator);
    } catch {
      // The database is unreachable or a batch was refused: the integrator reloads next round.
      this.dropIntegrator();
    }
    await this.answerWaiters().catch(() => {});
  }

  private async currentSession(): Promise<ReplicaSession> {
    if (this.session?.alive) return this.session;
    this.dropIntegrator();
    await this.session?.close();
    this.session = undefined;
    this.session = await ReplicaSession.open(
      this.storage.url,
      this.storage.replicaId,
      () => this.wake(),
      () => {
        // Others may take the lease now that the session is gone: stop integrating at once (the fence
        // refuses what is in flight).
        this.dropIntegrator();
        this.wake();
      },
    );
    return this.session;
  }

  private async integratePending(integrator: Sequencer): Promise<void> {
    const limit = this.options.batchSize * 4;
    const rows = await readPending(this.storage.pool, limit);
    if (rows.length === 0) return;
    const results = await Promise.allSettled(rows.map((row) => integrator.submit(row)));
    const done = rows.filter((_, i) => results[i]?.status === 'fulfilled').map((r) => r.leafHash);
    if (done.length > 0) await clearPending(this.storage.pool, done);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (rows.length === limit) this.again = true;
  }

  private async answerWaiters(): Promise<void> {
    if (this.waiting.size === 0) return;
    const hashes = [...this.waiting.keys()].map((hex) => Buffer.from(hex, 'hex'));
    const entries = await this.storage.entriesByLeafHashes(hashes);
    if (entries.length === 0) return;
    // Read after the entries: a batch commits its entries and checkpoint together, so this one covers them.
    const checkpoint = await this.storage.latestCheckpoint();
    if (!checkpoint) return;
    for (const entry of entries) {
      const hex = entry.leafHash.toString('hex');
      for (const w of this.waiting.get(hex) ?? []) w.resolve({ entry, checkpoint, existing: w.existing });
      this.waiting.delete(hex);
    }
  }

  /**
   * Stops integrating (only if `which`, when given, is still the integrator: a late failure of an old one
   * must not stop its successor); what it has queued is still written, or refused by the fence.
   */
  private dropIntegrator(which?: Sequencer): void {
    const old = this.integrator;
    if (which && which !== old) return;
    this.integrator = undefined;
    if (old) void old.drain().finally(() => old.close());
  }
}
