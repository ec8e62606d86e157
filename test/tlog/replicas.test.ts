/**
 * Replicas of one log on PostgreSQL, in one process: every replica accepts and reads, one integrates,
 * duplicates sent to two replicas become one entry, a stale writer is fenced off, and the lease moves on
 * when its holder closes. (Killing a replica with -9 is test/e2e/tlog-replicas.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/index.js';
import {
  buildTlogApp,
  logKeyFrom,
  PostgresLogStorage,
  TransparencyLog,
  verifyConsistency,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { ReplicaSession } from '../../src/tlog/postgres-replication.js';
import { sample } from '../helpers/metrics.js';
import { peerMissing } from '../helpers/peers.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

const logKey = logKeyFrom(generateKeyPair().privateKey);
const { privateKey } = generateKeyPair();
const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);
let postgres: PostgresServer | undefined;
before(async () => {
  if (!pgSkip) postgres = await startPostgres();
});
after(() => postgres?.stop());

async function replica(answerWithinMs?: number): Promise<TransparencyLog> {
  const storage = await PostgresLogStorage.connect((postgres as PostgresServer).url);
  return TransparencyLog.open(storage, logKey, {
    hostname: 'localhost',
    intervalMs: 1,
    replication: { pollMs: 50, ...(answerWithinMs ? { answerWithinMs } : {}) },
  });
}

/** A lease holder whose session stays connected but that renews nothing: a frozen process. */
async function frozenHolder(name: string, leaseMs: number): Promise<ReplicaSession> {
  const session = await ReplicaSession.open(
    (postgres as PostgresServer).url,
    name,
    () => {},
    () => {},
  );
  assert.ok(await session.holdLease(leaseMs));
  return session;
}

async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tlog replicas on PostgreSQL', { skip: pgSkip }, () => {
  it('every replica accepts and reads; one integrates; a duplicate sent to both is one entry', async () => {
    const a = await replica();
    const b = await replica();
    try {
      await until('one replica holds the lease', () => a.integrating !== b.integrating);
      const results = await Promise.all(
        Array.from({ length: 30 }, async (_, i) =>
          (i % 2 ? a : b).add(await signedHashedRekord(privateKey, `replicas ${i}`)),
        ),
      );
      const indexes = results.map((r) => r.entry.logIndex);
      assert.equal(new Set(indexes).size, 30, 'no index given twice');
      for (const r of results) verifyRekorEntry(r.entry, { publicKey: logKey.publicKey });

      const proposal = await signedHashedRekord(privateKey, 'sent to both replicas');
      const [viaA, viaB] = await Promise.all([a.add(proposal), b.add(proposal)]);
      assert.equal(viaA.uuid, viaB.uuid);
      assert.equal(viaA.entry.logIndex, viaB.entry.logIndex);
      verifyRekorEntry(viaB.entry, { publicKey: logKey.publicKey });
      const leaf = viaA.uuid.slice(16);
      assert.deepEqual(await a.search(`sha256:${hashOf('sent to both replicas')}`), [viaA.uuid]);
      assert.equal((await b.byUuid(leaf))?.entry.logIndex, viaA.entry.logIndex);

      const sizes = [(await a.checkpoint()).size, (await b.checkpoint()).size];
      await until('both replicas read the same tree', async () => {
        sizes[0] = (await a.checkpoint()).size;
        sizes[1] = (await b.checkpoint()).size;
        return sizes[0] === sizes[1];
      });
      assert.equal(sizes[0], Math.max(...indexes, viaA.entry.logIndex) + 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a batch from a replica without the lease, or not extending the newest checkpoint', async () => {
    const url = (postgres as PostgresServer).url;
    const storage = await PostgresLogStorage.connect(url);
    const session = await ReplicaSession.open(
      url,
      storage.replicaId,
      () => {},
      () => {},
    );
    try {
      const latest = await storage.latestCheckpoint();
      assert.ok(latest && latest.size > 1);
      // A deposed integrator that loaded the tree one entry ago and writes "the next" index.
      const stale = latest.size - 1;
      const batch = () =>
        storage.appendBatch({
          entries: [
            {
              index: stale,
              leafHash: Buffer.alloc(32, 7),
              body: Buffer.from('{}'),
              integratedTime: 0,
              set: '',
            },
          ],
          nodes: [],
          index: [],
          checkpoint: { size: latest.size, rootHash: Buffer.alloc(32), note: 'forged' },
        });
      await assert.rejects(batch(), /does not hold the integrator lease/);
      assert.ok(await session.holdLease(60_000));
      await assert.rejects(batch(), /tree is at size \d+, this batch extends \d+/);
      assert.equal((await storage.latestCheckpoint())?.size, latest.size);
    } finally {
      await session.releaseLease();
      await session.close();
      await storage.close();
    }
  });

  it('hands the lease over when its holder closes, and the tree stays consistent', async () => {
    const a = await replica();
    const b = await replica();
    try {
      await until('one replica holds the lease', () => a.integrating !== b.integrating);
      const [holder, other] = a.integrating ? [a, b] : [b, a];
      await holder.add(await signedHashedRekord(privateKey, 'before handover'));
      const before = await holder.checkpoint();
      await holder.close();
      const added = await other.add(await signedHashedRekord(privateKey, 'after handover'));
      assert.equal(other.integrating, true);
      assert.equal(added.entry.logIndex, before.size);
      verifyRekorEntry(added.entry, { publicKey: logKey.publicKey });
      const after = await other.checkpoint();
      assertConsistent(before, after, await other.consistency(before.size, after.size));
    } finally {
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    }
  });

  it('says in /metrics which replica holds the lease; entries count where submitted, batches where written', async () => {
    const a = await replica();
    const b = await replica();
    const apps = [buildTlogApp(a), buildTlogApp(b)];
    const scrape = async (i: number) =>
      (await apps[i]?.inject({ method: 'GET', url: '/metrics' }))?.body ?? '';
    try {
      await until('one replica holds the lease', () => a.integrating !== b.integrating);
      const holder = a.integrating ? 0 : 1;
      const other = 1 - holder;
      assert.equal(sample(await scrape(holder), 'sigil_tlog_lease_held'), 1);
      assert.equal(sample(await scrape(other), 'sigil_tlog_lease_held'), 0);
      const submitted = await apps[other]?.inject({
        method: 'POST',
        url: '/api/v1/log/entries',
        payload: (await signedHashedRekord(privateKey, 'filed by a replica without the lease')) as object,
      });
      assert.equal(submitted?.statusCode, 201);
      const [holderText, otherText] = [await scrape(holder), await scrape(other)];
      assert.equal(sample(otherText, 'sigil_tlog_entries_appended_total', { kind: 'hashedrekord' }), 1);
      assert.equal(sample(otherText, 'sigil_tlog_batch_entries_count'), 0);
      assert.ok((sample(holderText, 'sigil_tlog_batch_entries_sum') ?? 0) >= 1);
      assert.equal(sample(holderText, 'sigil_tlog_tree_size'), sample(otherText, 'sigil_tlog_tree_size'));
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    }
  });

  it('survives the loss of the lease session: the lease moves and the old holder goes on accepting', async () => {
    const a = await replica();
    const b = await replica();
    const admin = await PostgresLogStorage.connect((postgres as PostgresServer).url);
    try {
      await until('one replica holds the lease', () => a.integrating !== b.integrating);
      const before = await a.checkpoint();
      // PostgreSQL drops the holder's session (as on a network cut or a server restart): its lock goes too.
      const killed = await admin.pool.query(
        'SELECT pg_terminate_backend(holder_pid) AS done FROM tlog_lease',
      );
      assert.deepEqual(killed.rows, [{ done: true }]);
      const added = await Promise.all(
        Array.from({ length: 20 }, async (_, i) =>
          (i % 2 ? a : b).add(await signedHashedRekord(privateKey, `session lost ${i}`)),
        ),
      );
      assert.equal(new Set(added.map((r) => r.entry.logIndex)).size, 20);
      for (const r of added) verifyRekorEntry(r.entry, { publicKey: logKey.publicKey });
      await until('a replica holds the lease again', () => a.integrating || b.integrating);
      const after = await admin.latestCheckpoint();
      assert.ok(after && after.size >= before.size + 20);
      assertConsistent(before, after, await a.consistency(before.size, after.size));
    } finally {
      await admin.close();
      await a.close();
      await b.close();
    }
  });

  it('takes the lease from a holder that stops renewing it, once it expires', async () => {
    const frozen = await frozenHolder('frozen replica', 1500);
    const a = await replica();
    try {
      assert.equal(a.integrating, false);
      const added = await a.add(await signedHashedRekord(privateKey, 'after the lease expired'));
      verifyRekorEntry(added.entry, { publicKey: logKey.publicKey });
      assert.equal(a.integrating, true);
      assert.equal(await frozen.holdLease(1500), false);
    } finally {
      await a.close();
      await frozen.close();
    }
  });

  it('answers an error, not an acknowledgement, when nobody integrates in time; a resubmission finds it', async () => {
    const frozen = await frozenHolder('frozen for good', 600_000);
    const a = await replica(300);
    try {
      const proposal = await signedHashedRekord(privateKey, 'waits for an integrator');
      await assert.rejects(a.add(proposal), /was not integrated within 300 ms/);
      await frozen.releaseLease();
      const again = await a.add(proposal);
      verifyRekorEntry(again.entry, { publicKey: logKey.publicKey });
      assert.deepEqual(await a.search(`sha256:${hashOf('waits for an integrator')}`), [again.uuid]);
    } finally {
      await a.close();
      await frozen.close();
    }
  });

  it('refuses a replica that would sign with another key or checkpoint origin', async () => {
    const url = (postgres as PostgresServer).url;
    const otherKey = logKeyFrom(generateKeyPair().privateKey);
    for (const [key, hostname] of [
      [otherKey, 'localhost'],
      [logKey, 'elsewhere'],
    ] as const) {
      const storage = await PostgresLogStorage.connect(url);
      await assert.rejects(
        TransparencyLog.open(storage, key, { hostname }),
        /this database's log is signed as .*, this replica would sign as/,
      );
      await storage.close();
    }
  });
});

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The consistency proof from `before` to `after` verifies: the tree only grew across the handover. */
function assertConsistent(
  before: { size: number; rootHash: Buffer },
  after: { size: number; rootHash: Buffer },
  proof: { hashes: string[] },
): void {
  verifyConsistency(
    before.size,
    after.size,
    proof.hashes.map((h) => Buffer.from(h, 'hex')),
    before.rootHash,
    after.rootHash,
  );
}
