// The sequencer's group commit: a submission to an idle log starts a batch at once; what arrives while a
// batch is being written goes into the next one, together; every entry is acknowledged only after the
// batch holding it is stored, and indices are handed out once each, in order.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256 } from '../../src/core/index.js';
import { type Batch, logKeyFrom, Sequencer, SqliteLogStorage } from '../../src/tlog/index.js';

/** An in-memory store whose writes wait until the test opens the gate, and which records each batch. */
class GatedStorage extends SqliteLogStorage {
  readonly batches: number[] = [];
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => {};

  private onWrite: () => void = () => {};

  /** Holds the next writes; the promise settles when one of them has reached the store. */
  hold(): Promise<void> {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
    return new Promise((resolve) => {
      this.onWrite = resolve;
    });
  }

  release(): void {
    this.openGate();
  }

  override async appendBatch(batch: Batch): Promise<void> {
    this.onWrite();
    await this.gate;
    await super.appendBatch(batch);
    this.batches.push(batch.entries.length);
  }
}

const entry = (n: number) => {
  const body = Buffer.from(`entry ${n}`);
  return { kind: 'test', apiVersion: '1', body, leafHash: sha256(body), indexKeys: [] };
};

describe('sequencer', () => {
  it('starts a batch at once on an idle log and groups what arrives while it is written', async () => {
    const storage = new GatedStorage(':memory:');
    // An interval far longer than the test: only group commit and drain() can integrate anything.
    const sequencer = await Sequencer.start(storage, logKeyFrom(generateKeyPairSync('ed25519').privateKey), {
      origin: 'test',
      signerName: 'test',
      batchSize: 256,
      intervalMs: 60_000,
    });
    storage.batches.length = 0;
    const writing = storage.hold();
    let acknowledged = 0;
    const first = sequencer.submit(entry(0)).then((r) => {
      acknowledged++;
      return r;
    });
    await writing;
    const rest = Array.from({ length: 10 }, (_, i) => sequencer.submit(entry(i + 1)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(acknowledged, 0, 'nothing is acknowledged before its batch is stored');
    storage.release();
    assert.equal((await first).entry.index, 0);
    await sequencer.drain();
    const results = await Promise.all(rest);
    assert.deepEqual(storage.batches, [1, 10]);
    assert.deepEqual(
      results.map((r) => r.entry.index),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    assert.equal(sequencer.checkpoint.size, 11);
    sequencer.close();
    await storage.close();
  });

  it('commits file stores on a writer thread, and a refused batch is an error, never an acknowledgement', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigil-sequencer-'));
    try {
      const storage = new SqliteLogStorage(join(dir, 'log.db'));
      const one = entry(1);
      const batch = (index: number) => ({
        entries: [{ index, leafHash: one.leafHash, body: one.body, integratedTime: 1, set: '' }],
        nodes: [],
        index: [],
        checkpoint: { size: index + 1, rootHash: Buffer.alloc(32), note: `note ${index}` },
      });
      await storage.appendBatch(batch(0));
      assert.equal((await storage.entryByIndex(0))?.body.toString(), 'entry 1');
      // The same leaf again violates the store's uniqueness: the writer refuses the whole batch.
      await assert.rejects(storage.appendBatch(batch(1)), /the log store refused a batch/);
      assert.equal(await storage.entryByIndex(1), undefined);
      assert.equal((await storage.latestCheckpoint())?.size, 1);
      await storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
