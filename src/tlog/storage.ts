/**
 * What the log keeps, behind one interface so that SQLite (embedded) and PostgreSQL (scale-out) run the
 * same sequencer and the same tests. A batch is written in one transaction: entries, the tree nodes they
 * complete, the search index and the signed checkpoint appear together or not at all.
 */
import { SigilError } from '../core/index.js';
import type { NodeHashReader, NodeId } from './merkle.js';

export interface StoredEntry {
  index: number;
  leafHash: Buffer;
  body: Buffer;
  integratedTime: number;
  /** The SignedEntryTimestamp (base64 signature) issued when the entry was integrated. */
  set: string;
}

/** An entries-table row as both stores read it (PostgreSQL returns BIGINT columns as strings). */
export interface EntryRow {
  idx: number | string;
  leaf_hash: Buffer;
  body: Buffer;
  integrated_time: number | string;
  sete: string;
}

export function entryFromRow(row: EntryRow | undefined): StoredEntry | undefined {
  return (
    row && {
      index: Number(row.idx),
      leafHash: row.leaf_hash,
      body: row.body,
      integratedTime: Number(row.integrated_time),
      set: row.sete,
    }
  );
}

export interface StoredCheckpoint {
  size: number;
  rootHash: Buffer;
  /** The signed note. */
  note: string;
}

/** One page of a search: indexes below `before` (all when absent), newest first, at most `limit`. */
export interface SearchPage {
  before?: number;
  limit: number;
}

/** How many entries were integrated in one minute (`minute`: Unix seconds / 60, floored). */
export interface MinuteCount {
  minute: number;
  count: number;
}

/** The longest window counted: a day of minutes (each costs an index seek). */
export const MAX_MINUTES = 24 * 60;

/**
 * Entries per minute from where each minute starts in the log. Indexes are given in integration order and
 * a log stamps its batches in that order, so a minute's count is the first index at or after its end minus
 * the first at or after its start: one index seek per minute, whatever the rate, instead of counting rows
 * (a clock stepped back can only make a count too small, never negative).
 */
export async function minuteCounts(
  sinceSeconds: number,
  nowSeconds: number,
  size: number,
  firstIndexFrom: (seconds: number) => Promise<number | undefined>,
): Promise<MinuteCount[]> {
  const last = Math.floor(nowSeconds / 60);
  const first = Math.max(Math.floor(sinceSeconds / 60), last - MAX_MINUTES);
  const starts: number[] = [];
  for (let minute = first; minute <= last + 1; minute++) {
    starts.push(minute > last ? size : ((await firstIndexFrom(minute * 60)) ?? size));
  }
  const counts: MinuteCount[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const count = Math.max(0, (starts[i + 1] as number) - (starts[i] as number));
    if (count > 0) counts.push({ minute: first + i, count });
  }
  return counts;
}

/**
 * Which search keys the stored index holds. 2: certificates' `issuer:` keys, and the identities of
 * certificates in Rekor v2 entries. A store opened at a lower version fills them in for the entries it has.
 */
export const SEARCH_KEYS_VERSION = '2';

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
  /** Which of these leaf hashes (hex) are already logged: one query for a whole batch. */
  loggedLeafHashes(leafHashes: readonly Buffer[]): Promise<Set<string>>;
  /** Indexes of entries filed under a search key. */
  search(key: string): Promise<number[]>;
  /** A page of the indexes filed under a search key, newest first (answered from the index, no scan). */
  searchPage(key: string, page: SearchPage): Promise<number[]>;
  /** Entries integrated per minute since `sinceSeconds` (Unix), oldest minute first; quiet minutes absent. */
  entriesPerMinute(sinceSeconds: number): Promise<MinuteCount[]>;
  /** The newest `limit` checkpoints, newest first. */
  recentCheckpoints(limit: number): Promise<StoredCheckpoint[]>;
  /** Durable when the promise resolves (the database has synced the transaction). */
  appendBatch(batch: Batch): Promise<void>;
  close(): Promise<void>;
}

// Tree nodes never change once written. Upper levels (few, read by every proof) stay in memory once read;
// freshly written nodes of every level are remembered too, because the proofs answered right after a batch
// need exactly those.
const CACHED_LEVEL = 2;
const NODE_CACHE_LIMIT = 1 << 20;

/** Reads node hashes through a memory cache; `load` fetches the ones not cached. */
export class NodeCache {
  private readonly nodes = new Map<number, Buffer>();

  /** Nodes just written by a batch. */
  remember(written: readonly { node: NodeId; hash: Buffer }[]): void {
    for (const { node, hash } of written) this.put(node, hash);
  }

  async read(
    nodes: readonly NodeId[],
    load: (missing: NodeId[]) => Promise<(Buffer | undefined)[]>,
  ): Promise<Buffer[]> {
    const found = nodes.map((n) => this.nodes.get(cacheKey(n)));
    const missing = nodes.filter((_, i) => found[i] === undefined);
    const loaded = missing.length > 0 ? await load(missing) : [];
    let next = 0;
    return nodes.map((node, i) => {
      const hash = found[i] ?? loaded[next++];
      if (!hash)
        throw new SigilError('IO_ERROR', `log store is missing tree node ${node.level}/${node.index}`);
      if (node.level >= CACHED_LEVEL && found[i] === undefined) this.put(node, hash);
      return hash;
    });
  }

  private put(node: NodeId, hash: Buffer): void {
    if (this.nodes.size >= NODE_CACHE_LIMIT) this.nodes.clear();
    this.nodes.set(cacheKey(node), hash);
  }
}

function cacheKey(node: NodeId): number {
  return node.level * 2 ** 40 + node.index;
}
