/**
 * The worker thread that commits the embedded log's batches over its own connection to the SQLite file
 * (WAL, synchronous=FULL): the fsync of each commit blocks this thread rather than the one serving
 * requests. A batch is answered only once its transaction is durable.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { batchCommitter } from './sqlite-batch.js';
import type { Batch } from './storage.js';

export interface WriteRequest {
  id: number;
  batch: Batch;
}

export interface WriteResponse {
  id: number;
  error?: string;
}

const SqliteDatabase = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
const db = new SqliteDatabase((workerData as { path: string }).path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
// Readers never block a WAL writer; a short wait covers the serving thread's rare write-lock moments.
db.pragma('busy_timeout = 5000');
const commit = batchCommitter(db);

parentPort?.on('message', ({ id, batch }: WriteRequest) => {
  let response: WriteResponse;
  try {
    commit(batch);
    response = { id };
  } catch (err) {
    response = { id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(response);
});
