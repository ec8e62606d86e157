/**
 * The embedded log's commits on a worker thread (sqlite-writer-worker.ts). SQLite's fsync takes
 * milliseconds and better-sqlite3 runs it on the calling thread; on the serving thread every commit
 * would stall every request. Batches are written one at a time, in the order given.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SigilError } from '../core/index.js';
import type { WriteRequest, WriteResponse } from './sqlite-writer-worker.js';
import type { Batch } from './storage.js';

const BUILT_WORKER = new URL('./sqlite-writer-worker.js', import.meta.url);

/** The built worker beside this module; run from sources (tests under tsx), the .ts with tsx registered. */
function startWorker(path: string): Worker {
  if (existsSync(BUILT_WORKER)) return new Worker(BUILT_WORKER, { workerData: { path } });
  // A worker thread does not inherit tsx's loader hooks, so it registers them before importing.
  const source = JSON.stringify(new URL('./sqlite-writer-worker.ts', import.meta.url).href);
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); });`,
    { eval: true, workerData: { path } },
  );
}

interface Waiting {
  resolve(): void;
  reject(err: unknown): void;
}

export class SqliteBatchWriter {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  constructor(private readonly path: string) {}

  write(batch: Batch): Promise<void> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Held while a write is outstanding, so the process waits for it; let go when idle.
      worker.ref();
      worker.postMessage({ id, batch } satisfies WriteRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private spawn(): Worker {
    const worker = startWorker(this.path);
    worker.on('message', ({ id, error }: WriteResponse) => {
      const waiting = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) worker.unref();
      if (error) waiting?.reject(new SigilError('IO_ERROR', `the log store refused a batch: ${error}`));
      else waiting?.resolve();
    });
    // A worker that dies fails what it was writing (never acknowledges it); the next write starts another.
    const fail = (err: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new SigilError('IO_ERROR', `the log's writer thread stopped (${code})`)),
    );
    this.worker = worker;
    return worker;
  }
}
