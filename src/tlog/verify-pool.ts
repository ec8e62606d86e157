/**
 * Checking proposed entries on worker threads: parsing and signature verification are the log's main CPU
 * cost after HTTP and storage, and one thread per spare core runs them beside the serving thread. (With
 * ECDSA over a digest at OpenSSL speed, one worker per core measured no better than one per spare core on
 * 2 cores: the serving thread needs its own.)
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SigilError } from '../core/index.js';
import type { AcceptedEntry } from './kinds.js';
import type { VerifyRequest, VerifyResponse } from './verify-worker.js';

// The built worker module; pools run from the compiled package (`sigil tlog serve`), not from sources.
const WORKER_URL = new URL('./verify-worker.js', import.meta.url);

interface Waiting {
  resolve(entry: AcceptedEntry): void;
  reject(err: unknown): void;
}

export class EntryVerifierPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private closing = false;

  /** `size` workers; by default one per core beyond the one serving requests. */
  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.workers = Array.from({ length: size }, (_, slot) => this.spawn(slot));
  }

  /** A worker for `slot`; one that dies is replaced, and what it was checking fails (never passes). */
  private spawn(slot: number): Worker {
    const worker = new Worker(WORKER_URL);
    worker.on('message', (response: VerifyResponse) => this.settle(response));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      if (this.closing) return;
      this.failAll(new Error('an entry verification worker stopped'));
      this.workers[slot] = this.spawn(slot);
    });
    worker.unref();
    return worker;
  }

  accept(api: 'v1' | 'v2', proposed: unknown): Promise<AcceptedEntry> {
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, api, proposed } satisfies VerifyRequest);
    });
  }

  private settle(response: VerifyResponse): void {
    const waiting = this.waiting.get(response.id);
    if (!waiting) return;
    this.waiting.delete(response.id);
    if (!response.ok) {
      waiting.reject(
        response.code ? new SigilError(response.code, response.message) : new Error(response.message),
      );
      return;
    }
    waiting.resolve({
      kind: response.kind,
      apiVersion: response.apiVersion,
      body: Buffer.from(response.body),
      leafHash: Buffer.from(response.leafHash),
      indexKeys: response.indexKeys,
    });
  }

  private failAll(err: unknown): void {
    for (const waiting of this.waiting.values()) waiting.reject(err);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
