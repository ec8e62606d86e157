/**
 * The writer a log service runs on its storage: the single-process Sequencer for SQLite, or a replica of a
 * shared PostgreSQL log (any number of processes, one integrating under the lease). The Rekor log and the
 * CA's CT log both pick theirs here, so either scales out the same way.
 */
import type { AcceptedEntry } from './kinds.js';
import type { LogKey } from './log-key.js';
import { PostgresLogStorage } from './postgres-storage.js';
import { ReplicatedSequencer, type ReplicationOptions } from './replicated-sequencer.js';

export type { ReplicationOptions };

import { type Integrated, Sequencer, type SequencerOptions } from './sequencer.js';
import type { LogStorage, StoredCheckpoint } from './storage.js';

export interface EntrySequencer {
  submit(accepted: AcceptedEntry): Promise<Integrated>;
  latestCheckpoint(): Promise<StoredCheckpoint>;
  drain(): Promise<void>;
  close(): void | Promise<void>;
}

export function startEntrySequencer(
  storage: LogStorage,
  key: LogKey,
  options: SequencerOptions,
  replication?: ReplicationOptions,
): Promise<EntrySequencer> {
  return storage instanceof PostgresLogStorage
    ? ReplicatedSequencer.start(storage, key, options, replication)
    : Sequencer.start(storage, key, options);
}

/** Whether this process integrates entries: always for SQLite; for PostgreSQL, while it holds the lease. */
export function isIntegrating(sequencer: EntrySequencer): boolean {
  return sequencer instanceof ReplicatedSequencer ? sequencer.integrating : true;
}
