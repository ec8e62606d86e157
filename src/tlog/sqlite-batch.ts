/**
 * Writing one batch into the embedded log's SQLite file in one transaction: entries, the tree nodes they
 * complete, the search index and the signed checkpoint appear together or not at all. Shared by the
 * writer thread (files) and the storage itself (in-memory databases, which one connection owns).
 */
import type Database from 'better-sqlite3';
import type { Batch } from './storage.js';

export function batchCommitter(db: Database.Database): (batch: Batch) => void {
  const insertEntry = db.prepare(
    'INSERT INTO entries (idx, leaf_hash, body, integrated_time, sete) VALUES (?, ?, ?, ?, ?)',
  );
  const insertNode = db.prepare('INSERT OR REPLACE INTO nodes (level, idx, hash) VALUES (?, ?, ?)');
  const insertSearch = db.prepare('INSERT OR IGNORE INTO search (key, idx) VALUES (?, ?)');
  const insertCheckpoint = db.prepare('INSERT INTO checkpoints (size, root_hash, note) VALUES (?, ?, ?)');
  return db.transaction((batch: Batch) => {
    for (const e of batch.entries) {
      insertEntry.run(e.index, blob(e.leafHash), blob(e.body), e.integratedTime, e.set);
    }
    for (const { node, hash } of batch.nodes) insertNode.run(node.level, node.index, blob(hash));
    for (const { key, index } of batch.index) insertSearch.run(key, index);
    const { size, rootHash, note } = batch.checkpoint;
    insertCheckpoint.run(size, blob(rootHash), note);
  });
}

/** A batch posted to a worker arrives with plain Uint8Arrays; SQLite binds Buffers as BLOBs. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
