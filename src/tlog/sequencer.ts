/**
 * The sequencer: a batch gets its indices, tree nodes, SignedEntryTimestamps and a new signed checkpoint,
 * and is written in one durable transaction. Only then are the submitters answered, so an acknowledged
 * entry is never lost. One batch is in flight at a time, which also means no two entries can ever share
 * an index.
 *
 * Batches form by group commit: a submission to an idle log starts a batch at once; submissions that
 * arrive while a batch is being written wait for it and then go together. `intervalMs` is the least time
 * between the starts of two batches (so a busy log commits at most 1000/intervalMs times a second, each
 * commit carrying more entries) and therefore the longest a submission waits beyond the batch in flight.
 */
import { canonicalJson } from '../core/index.js';
import { checkpointBody, signNote } from './checkpoint.js';
import type { AcceptedEntry } from './kinds.js';
import type { LogKey } from './log-key.js';
import { noteSigner } from './log-key.js';
import { CompactTree } from './merkle.js';
import type { LogStorage, StoredCheckpoint, StoredEntry } from './storage.js';

export interface SequencerOptions {
  /** The checkpoint origin and signer name (Rekor: `<hostname> - <treeID>` and `<hostname>`). */
  origin: string;
  signerName: string;
  batchSize: number;
  /** Least time between the starts of two batches, i.e. the longest wait beyond the batch in flight. */
  intervalMs: number;
  /** Sign a SignedEntryTimestamp for each entry (Rekor v1); a CT log signs its SCTs itself. */
  entryTimestamps?: boolean;
  /** Told the number of entries of every batch once it is durable (the log's metrics). */
  onBatch?: (entries: number) => void;
}

export interface Integrated {
  entry: StoredEntry;
  checkpoint: StoredCheckpoint;
  /** True when an identical entry was already in the log (Rekor answers 409). */
  existing: boolean;
}

interface Pending {
  accepted: AcceptedEntry;
  resolve(result: Integrated): void;
  reject(err: unknown): void;
}

export class Sequencer {
  private queue: Pending[] = [];
  /** Cancels the scheduled start of the next batch, if one is scheduled and has not started. */
  private cancelScheduled: (() => void) | undefined;
  /** Set while a batch is scheduled or being written; new submissions then just join the queue. */
  private busy = false;
  private lastBatchAt = Number.NEGATIVE_INFINITY;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly storage: LogStorage,
    private readonly key: LogKey,
    private readonly options: SequencerOptions,
    private tree: CompactTree,
    private latest: StoredCheckpoint | undefined,
  ) {}

  /** The newest signed checkpoint. This sequencer is the tree's only writer, so memory is authoritative. */
  get checkpoint(): StoredCheckpoint {
    if (!this.latest) throw new Error('the sequencer has not written its first checkpoint');
    return this.latest;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint> {
    return this.checkpoint;
  }

  /** Resumes from the store's latest checkpoint (a crash between batches leaves nothing to repair). */
  static async start(storage: LogStorage, key: LogKey, options: SequencerOptions): Promise<Sequencer> {
    const latest = await storage.latestCheckpoint();
    const tree = latest ? await CompactTree.load(latest.size, storage) : CompactTree.empty();
    const sequencer = new Sequencer(storage, key, options, tree, latest);
    if (!latest) await sequencer.writeBatch([]);
    return sequencer;
  }

  submit(accepted: AcceptedEntry): Promise<Integrated> {
    return new Promise((resolve, reject) => {
      this.queue.push({ accepted, resolve, reject });
      this.schedule();
    });
  }

  /** Waits for everything submitted so far to be integrated. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.busy) {
      if (this.cancelScheduled) {
        // Nothing is being written: start the waiting batch now rather than at its time.
        this.cancelScheduled();
        this.runBatch();
      }
      await this.flushing;
    }
  }

  /**
   * Starts the next batch when the log is idle: at once if the last one started `intervalMs` ago or the
   * queue holds a full batch, else when that interval is over. A batch in flight calls this when done.
   */
  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const wait = this.lastBatchAt + this.options.intervalMs - performance.now();
    if (wait <= 0 || this.queue.length >= this.options.batchSize) {
      // After the current I/O callbacks, so that submissions made by them join this batch.
      const immediate = setImmediate(() => this.runBatch());
      this.cancelScheduled = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.runBatch(), wait);
      this.cancelScheduled = () => clearTimeout(timer);
    }
  }

  private runBatch(): void {
    this.cancelScheduled = undefined;
    this.lastBatchAt = performance.now();
    const batch = this.queue.splice(0, this.options.batchSize);
    this.flushing = this.flushing.then(async () => {
      try {
        await this.integrate(batch);
      } catch (err) {
        for (const p of batch) p.reject(err);
      } finally {
        this.busy = false;
        this.schedule();
      }
    });
  }

  private async integrate(batch: Pending[]): Promise<void> {
    // Duplicates, of entries already logged or within this batch, are answered with the first copy.
    const fresh: Pending[] = [];
    const duplicates: { pending: Pending; of: Buffer }[] = [];
    const seen = await this.storage.loggedLeafHashes(batch.map((p) => p.accepted.leafHash));
    for (const pending of batch) {
      const key = pending.accepted.leafHash.toString('hex');
      if (seen.has(key)) duplicates.push({ pending, of: pending.accepted.leafHash });
      else {
        seen.add(key);
        fresh.push(pending);
      }
    }
    if (fresh.length > 0) {
      const written = await this.writeBatch(fresh.map((p) => p.accepted));
      fresh.forEach((p, i) => {
        p.resolve({
          entry: written.entries[i] as StoredEntry,
          checkpoint: written.checkpoint,
          existing: false,
        });
      });
    }
    for (const { pending, of } of duplicates) {
      const entry = await this.storage.entryByLeafHash(of);
      if (entry) pending.resolve({ entry, checkpoint: this.checkpoint, existing: true });
      else pending.reject(new Error('duplicate entry vanished'));
    }
  }

  private async writeBatch(
    accepted: AcceptedEntry[],
  ): Promise<{ entries: StoredEntry[]; checkpoint: StoredCheckpoint }> {
    const tree = this.tree.clone();
    const integratedTime = Math.floor(Date.now() / 1000);
    const logId = this.key.logId.toString('hex');
    const entries: StoredEntry[] = [];
    const nodes: { node: { level: number; index: number }; hash: Buffer }[] = [];
    const index: { key: string; index: number }[] = [];
    for (const entry of accepted) {
      const logIndex = tree.size;
      nodes.push(...tree.append(entry.leafHash));
      const set =
        this.options.entryTimestamps === false
          ? ''
          : await this.entryTimestamp(entry, integratedTime, logId, logIndex);
      entries.push({ index: logIndex, leafHash: entry.leafHash, body: entry.body, integratedTime, set });
      for (const key of entry.indexKeys) index.push({ key, index: logIndex });
    }
    const rootHash = tree.root();
    const body = checkpointBody({ origin: this.options.origin, size: tree.size, rootHash, extensions: [] });
    const note = await signNote(body, noteSigner(this.key, this.options.signerName));
    const checkpoint = { size: tree.size, rootHash, note };
    await this.storage.appendBatch({ entries, nodes, index, checkpoint });
    this.tree = tree;
    this.latest = checkpoint;
    this.options.onBatch?.(entries.length);
    return { entries, checkpoint };
  }

  /** The SignedEntryTimestamp: the log's promise to include this body at this index (Rekor v1). */
  private async entryTimestamp(
    entry: AcceptedEntry,
    integratedTime: number,
    logId: string,
    logIndex: number,
  ): Promise<string> {
    const promise = canonicalJson({
      body: entry.body.toString('base64'),
      integratedTime,
      logID: logId,
      logIndex,
    });
    return (await this.key.signer.sign(Buffer.from(promise))).toString('base64');
  }

  close(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = undefined;
  }
}
