/**
 * Three `sigil tlog serve --database postgres://...` processes on one PostgreSQL: each accepts and serves,
 * one integrates, a duplicate sent to two of them is one entry, and kill -9 of the integrating one under
 * load hands the lease over with no acknowledged entry lost, no index given twice and a consistent tree.
 */
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, loadPublicKeyPem } from '../../src/crypto/index.js';
import {
  parseRekorEntry,
  type RekorEntry,
  verifyCheckpoint,
  verifyConsistency,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { peerMissing } from '../helpers/peers.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const { privateKey } = generateKeyPair();
const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);

const post = (url: string, body: unknown) =>
  fetch(`${url}/api/v1/log/entries`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
const integrating = async (url: string) =>
  ((await (await fetch(`${url}/healthz`)).json()) as { integrating: boolean }).integrating;
const head = async (url: string) =>
  (await (await fetch(`${url}/api/v1/log`)).json()) as {
    treeSize: number;
    rootHash: string;
    signedTreeHead: string;
  };

async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 90_000;
  const holds = async () => {
    try {
      return await condition();
    } catch {
      return false; // a replica is down or starting
    }
  };
  while (!(await holds())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('tlog replicas: three processes on one PostgreSQL', { skip: pgSkip }, () => {
  let postgres: PostgresServer;
  const replicas: TlogProcess[] = [];
  let logKey: KeyObject;

  before(async () => {
    postgres = await startPostgres();
    const dataDir = await mkdtemp(join(tmpdir(), 'sigil-replicas-'));
    const args = ['--database', postgres.url, '--batch-interval', '3', '--batch-size', '16'];
    // The first creates the log key in the shared data directory; the others load it.
    replicas.push(await startTlogProcess(dataDir, args));
    replicas.push(await startTlogProcess(dataDir, args), await startTlogProcess(dataDir, args));
    logKey = loadPublicKeyPem(
      await (await fetch(`${replicas[0]?.url}/api/v1/log/publicKey`)).text(),
      'log key',
    );
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await postgres?.stop();
  });

  it('integrates submissions to every replica; a duplicate sent to two is one entry', async () => {
    await until('one replica integrates', async () => {
      const roles = await Promise.all(replicas.map((r) => integrating(r.url)));
      return roles.filter(Boolean).length === 1;
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const response = await post(
          (replicas[i % 3] as TlogProcess).url,
          await signedHashedRekord(privateKey, `replica ${i}`),
        );
        assert.equal(response.status, 201);
        return parseRekorEntry(Object.values((await response.json()) as object)[0], 'answer');
      }),
    );
    assert.equal(new Set(answers.map((a) => a.logIndex)).size, 12);
    for (const entry of answers) verifyRekorEntry(entry, { publicKey: logKey });

    const twice = await signedHashedRekord(privateKey, 'sent to two replicas');
    const [one, two] = await Promise.all([
      post((replicas[1] as TlogProcess).url, twice),
      post((replicas[2] as TlogProcess).url, twice),
    ]);
    assert.ok([one.status, two.status].includes(201), `${one.status} ${two.status}`);
    assert.equal(one.headers.get('etag'), two.headers.get('etag'));
    const search = await fetch(`${replicas[0]?.url}/api/v1/index/retrieve`, {
      method: 'POST',
      body: JSON.stringify({ hash: createHash('sha256').update('sent to two replicas').digest('hex') }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.deepEqual(await search.json(), [one.headers.get('etag')]);

    // Once quiet, every replica serves the same signed checkpoint (tlog-tiles) and tree head.
    const notes = async () =>
      Promise.all(replicas.map(async (r) => (await fetch(`${r.url}/checkpoint`)).text()));
    await until('every replica serves the newest checkpoint', async () => new Set(await notes()).size === 1);
    const heads = await Promise.all(replicas.map((r) => head(r.url)));
    assert.ok(heads.every((h) => h.treeSize >= 13 && h.rootHash === heads[0]?.rootHash));
  });

  it('kill -9 of the integrating replica under load: another takes over, nothing acknowledged is lost', async () => {
    const acknowledged = new Map<number, string>();
    const checkpoints = new Map<number, string>();
    const record = (entry: RekorEntry) => {
      const seen = acknowledged.get(entry.logIndex);
      assert.ok(seen === undefined || seen === entry.body, `index ${entry.logIndex} given twice`);
      acknowledged.set(entry.logIndex, entry.body);
      const proof = entry.verification.inclusionProof;
      const root = checkpoints.get(proof.treeSize);
      assert.ok(root === undefined || root === proof.rootHash, `two roots for size ${proof.treeSize}`);
      checkpoints.set(proof.treeSize, proof.rootHash);
    };
    const live = new Set(replicas);
    let stop = false;
    const clients = Array.from({ length: 12 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const targets = [...live];
        const target = targets[(c + i) % targets.length] as TlogProcess;
        const body = await signedHashedRekord(privateKey, `load ${c} ${i}`);
        try {
          const response = await post(target.url, body);
          if (response.status !== 201) continue;
          const entry = parseRekorEntry(Object.values((await response.json()) as object)[0], 'ack');
          verifyRekorEntry(entry, { publicKey: logKey });
          record(entry);
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          // That replica died mid-request: the entry was never acknowledged.
        }
      }
    });
    try {
      await until('entries acknowledged before the kill', () => acknowledged.size >= 40);
      const roles = await Promise.all(replicas.map((r) => integrating(r.url)));
      const victim = replicas[roles.indexOf(true)] as TlogProcess;
      const beforeKill = new Map(checkpoints);
      live.delete(victim);
      await victim.stop('SIGKILL');
      const survivors = [...live];
      await until('a survivor takes the lease', async () =>
        (await Promise.all(survivors.map((r) => integrating(r.url)))).includes(true),
      );
      const afterTakeover = acknowledged.size;
      await until('entries acknowledged after the takeover', () => acknowledged.size >= afterTakeover + 40);
      stop = true;
      await Promise.all(clients);

      const reader = survivors[0] as TlogProcess;
      const final = await head(reader.url);
      const checkpoint = verifyCheckpoint(final.signedTreeHead, {
        name: '127.0.0.1',
        keyHint: createHash('sha256')
          .update(logKey.export({ type: 'spki', format: 'der' }))
          .digest()
          .subarray(0, 4),
        publicKey: logKey,
      });
      for (const [index, body] of acknowledged) {
        const got = (await (
          await fetch(`${reader.url}/api/v1/log/entries?logIndex=${index}`)
        ).json()) as object;
        const entry = parseRekorEntry(Object.values(got)[0], `entry ${index}`);
        assert.equal(entry.body, body, `entry ${index} changed or vanished`);
        assert.ok(entry.verification.inclusionProof.treeSize >= checkpoint.size);
        verifyRekorEntry(entry, { publicKey: logKey });
      }
      // Every checkpoint seen before the kill is consistent with the one after.
      assert.ok(beforeKill.size > 0);
      for (const [size, root] of beforeKill) {
        const proof = (await (
          await fetch(`${reader.url}/api/v1/log/proof?firstSize=${size}&lastSize=${checkpoint.size}`)
        ).json()) as { hashes: string[] };
        verifyConsistency(
          size,
          checkpoint.size,
          proof.hashes.map((h) => Buffer.from(h, 'hex')),
          Buffer.from(root, 'hex'),
          checkpoint.rootHash,
        );
      }
    } finally {
      stop = true;
      await Promise.allSettled(clients);
    }
  });
});
