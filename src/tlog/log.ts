/**
 * The transparency log as a service object: storage, sequencer and key together, answering in Rekor v1's
 * shapes (entries keyed by UUID, inclusion proofs with checkpoints). The HTTP routes only translate.
 */

import type { KeyObject } from 'node:crypto';
import { TransparencyLogEntry } from '@sigstore/protobuf-specs';
import { SigilError } from '../core/index.js';
import { type EntrySequencer, isIntegrating, startEntrySequencer } from './entry-sequencer.js';
import { type AcceptedEntry, acceptProposedEntry } from './kinds.js';
import { acceptV2Request } from './kinds-v2.js';
import type { LogKey } from './log-key.js';
import { CompactTree, consistencyProof, inclusionProof } from './merkle.js';
import type { ReplicationOptions } from './replicated-sequencer.js';
import type { Integrated, SequencerOptions } from './sequencer.js';
import type { LogStorage, StoredCheckpoint, StoredEntry } from './storage.js';
import { EntryVerifierPool } from './verify-pool.js';

export interface LogOptions {
  /** The name checkpoints are signed under; clients match it against the log's URL (Rekor: its hostname). */
  hostname: string;
  batchSize?: number;
  intervalMs?: number;
  /** Worker threads that check submissions; 0 checks them on the serving thread. */
  verifyWorkers?: number;
  /** PostgreSQL replicas: lease and polling periods, how long a filed submission waits. */
  replication?: ReplicationOptions;
}

export interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: {
      checkpoint: string;
      hashes: string[];
      logIndex: number;
      rootHash: string;
      treeSize: number;
    };
    signedEntryTimestamp: string;
  };
}

/** Told what the log does, for its metrics: entries appended and batches written. */
export interface LogObserver {
  /** A new entry of `kind` was integrated, `seconds` after it was submitted (checks excluded). */
  appended(kind: string, seconds: number): void;
  /** A batch of `entries` was written (on the replica holding the lease, for PostgreSQL). */
  batch(entries: number): void;
}

export class TransparencyLog {
  private constructor(
    readonly storage: LogStorage,
    readonly key: LogKey,
    readonly treeId: bigint,
    private readonly sequencer: EntrySequencer,
    private readonly pool: EntryVerifierPool | undefined,
    private readonly observers: LogObserver[],
  ) {}

  static async open(storage: LogStorage, key: LogKey, options: LogOptions): Promise<TransparencyLog> {
    const treeId = await storage.treeId();
    const observers: LogObserver[] = [];
    const sequencing: SequencerOptions = {
      origin: `${options.hostname} - ${treeId}`,
      signerName: options.hostname,
      batchSize: options.batchSize ?? 512,
      intervalMs: options.intervalMs ?? 20,
      onBatch: (entries) => {
        for (const observer of observers) observer.batch(entries);
      },
    };
    const sequencer = await startEntrySequencer(storage, key, sequencing, options.replication);
    const workers = options.verifyWorkers ?? 0;
    return new TransparencyLog(
      storage,
      key,
      treeId,
      sequencer,
      workers > 0 ? new EntryVerifierPool(workers) : undefined,
      observers,
    );
  }

  observe(observer: LogObserver): void {
    this.observers.push(observer);
  }

  /** Hands `accepted` to the sequencer and tells the observers of a new entry. */
  private async integrate(accepted: AcceptedEntry): Promise<Integrated> {
    const started = performance.now();
    const integrated = await this.sequencer.submit(accepted);
    if (!integrated.existing) {
      const seconds = (performance.now() - started) / 1000;
      for (const observer of this.observers) observer.appended(accepted.kind, seconds);
    }
    return integrated;
  }

  get publicKey(): KeyObject {
    return this.key.publicKey;
  }

  get logId(): string {
    return this.key.logId.toString('hex');
  }

  /** The UUID Rekor returns: 16 hex digits of tree ID, then the leaf hash. */
  uuid(entry: StoredEntry): string {
    return `${this.treeId.toString(16).padStart(16, '0')}${entry.leafHash.toString('hex')}`;
  }

  /** Validates and integrates a proposed entry; `existing` when the same entry was logged before. */
  async add(proposed: unknown): Promise<{ uuid: string; entry: RekorEntry; existing: boolean }> {
    const accepted = this.pool ? await this.pool.accept('v1', proposed) : acceptProposedEntry(proposed);
    const { entry, checkpoint, existing } = await this.integrate(accepted);
    return { uuid: this.uuid(entry), entry: await this.present(entry, checkpoint), existing };
  }

  /** A Rekor v2 write: answered with a TransparencyLogEntry (inclusion proof and checkpoint, no SET). */
  async addV2(request: unknown): Promise<{ entry: unknown; existing: boolean }> {
    const accepted = this.pool ? await this.pool.accept('v2', request) : acceptV2Request(request);
    const { entry, checkpoint, existing } = await this.integrate(accepted);
    const hashes = await inclusionProof(entry.index, checkpoint.size, this.storage);
    const logEntry: TransparencyLogEntry = {
      logIndex: String(entry.index),
      logId: { keyId: this.key.logId },
      kindVersion: { kind: accepted.kind, version: accepted.apiVersion },
      integratedTime: '0',
      inclusionPromise: undefined,
      inclusionProof: {
        logIndex: String(entry.index),
        rootHash: checkpoint.rootHash,
        treeSize: String(checkpoint.size),
        hashes,
        checkpoint: { envelope: checkpoint.note },
      },
      canonicalizedBody: entry.body,
    };
    return { entry: TransparencyLogEntry.toJSON(logEntry), existing };
  }

  async checkpoint(): Promise<StoredCheckpoint> {
    return this.sequencer.latestCheckpoint();
  }

  /** Whether this process integrates entries: always for SQLite; for PostgreSQL, the lease holder. */
  get integrating(): boolean {
    return isIntegrating(this.sequencer);
  }

  async byIndex(index: number): Promise<{ uuid: string; entry: RekorEntry } | undefined> {
    const entry = await this.storage.entryByIndex(index);
    return entry && { uuid: this.uuid(entry), entry: await this.present(entry, await this.checkpoint()) };
  }

  /** By UUID: the 64-hex leaf hash, or the 80-hex form with this log's tree ID in front. */
  async byUuid(uuid: string): Promise<{ uuid: string; entry: RekorEntry } | undefined> {
    const entry = await this.storedByUuid(uuid);
    return entry && { uuid: this.uuid(entry), entry: await this.present(entry, await this.checkpoint()) };
  }

  /** The stored entry a UUID names, without its proof. */
  async storedByUuid(uuid: string): Promise<StoredEntry | undefined> {
    const match = /^(?:([0-9a-f]{16}))?([0-9a-f]{64})$/.exec(uuid);
    if (!match) throw new SigilError('BAD_INPUT', `invalid entry UUID "${uuid}"`);
    if (match[1] && BigInt(`0x${match[1]}`) !== this.treeId) return undefined;
    return this.storage.entryByLeafHash(Buffer.from(match[2] as string, 'hex'));
  }

  async search(key: string): Promise<string[]> {
    const indexes = await this.storage.search(key);
    const entries = await Promise.all(indexes.map((i) => this.storage.entryByIndex(i)));
    return entries.flatMap((e) => (e ? [this.uuid(e)] : []));
  }

  async consistency(firstSize: number, lastSize: number): Promise<{ rootHash: string; hashes: string[] }> {
    const latest = await this.checkpoint();
    if (lastSize > latest.size)
      throw new SigilError('BAD_INPUT', `lastSize ${lastSize} is beyond the tree size ${latest.size}`);
    if (firstSize > lastSize)
      throw new SigilError('BAD_INPUT', `firstSize ${firstSize} is greater than lastSize ${lastSize}`);
    const hashes = await consistencyProof(firstSize, lastSize, this.storage);
    const root = lastSize === latest.size ? latest.rootHash : await this.rootAt(lastSize);
    return { rootHash: root.toString('hex'), hashes: hashes.map((h) => h.toString('hex')) };
  }

  private async rootAt(size: number): Promise<Buffer> {
    return (await CompactTree.load(size, this.storage)).root();
  }

  private async present(entry: StoredEntry, checkpoint: StoredCheckpoint): Promise<RekorEntry> {
    const hashes = await inclusionProof(entry.index, checkpoint.size, this.storage);
    return {
      body: entry.body.toString('base64'),
      integratedTime: entry.integratedTime,
      logID: this.logId,
      logIndex: entry.index,
      verification: {
        inclusionProof: {
          checkpoint: checkpoint.note,
          hashes: hashes.map((h) => h.toString('hex')),
          logIndex: entry.index,
          rootHash: checkpoint.rootHash.toString('hex'),
          treeSize: checkpoint.size,
        },
        signedEntryTimestamp: entry.set,
      },
    };
  }

  async close(): Promise<void> {
    await this.sequencer.drain();
    await this.sequencer.close();
    await this.pool?.close();
    await this.storage.close();
  }
}
