/**
 * Three `sigil tlog serve --database postgres://...` processes on one PostgreSQL: each accepts and serves,
 * one integrates, and a duplicate sent to two of them is one entry. (Kills under load: tlog-chaos.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, loadPublicKeyPem } from '../../src/crypto/index.js';
import { parseRekorEntry, verifyRekorEntry } from '../../src/tlog/index.js';
import { peerMissing } from '../helpers/peers.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';
import { isIntegratingReplica, startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const { privateKey } = generateKeyPair();
const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);

const post = (url: string, body: unknown) =>
  fetch(`${url}/api/v1/log/entries`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
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
      const roles = await Promise.all(replicas.map((r) => isIntegratingReplica(r.url)));
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
});
