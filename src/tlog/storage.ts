/**
 * What the log keeps, behind one interface so that SQLite (embedded) and PostgreSQL (scale-out) run the
 * same sequencer and the same tests. A batch is written in one transaction: entries, the tree nodes they
 * complete, the search index and the signed checkpoint appear together or not at all.
 */
import type { NodeHashReader, NodeId } from './merkle.js';

export interface StoredEntry {
  index: number;
  leafHash: Buffer;
  body: Buffer;
  integratedTime: number;
  /** The SignedEntryTimestamp (base64 signature) issued when the entry was integrated. */
  set: string;
}

export interface StoredCheckpoint {
  size: number;
  rootHash: Buffer;
  /** The signed note. */
  note: string;
}

export interface Batch {
  entries: StoredEntry[];
  nodes: { node: NodeId; hash: Buffer }[];
  index: { key: string; index: number }[];
  checkpoint: StoredCheckpoint;
}

export interface LogStorage extends NodeHashReader {
  /** The tree's identity, created with the store and kept for its life (Rekor's tree ID). */
  treeId(): Promise<bigint>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  entryByIndex(index: number): Promise<StoredEntry | undefined>;
  entryByLeafHash(leafHash: Buffer): Promise<StoredEntry | undefined>;
  /** Indexes of entries filed under a search key. */
  search(key: string): Promise<number[]>;
  /** Durable when the promise resolves (the database has synced the transaction). */
  appendBatch(batch: Batch): Promise<void>;
  close(): Promise<void>;
}
