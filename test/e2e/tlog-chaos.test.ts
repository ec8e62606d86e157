/**
 * The replicated log's promise under chaos: three `sigil tlog serve` replicas on one PostgreSQL, 64
 * clients spread over all of them for a minute, the integrating replica killed (-9) every 3 seconds and
 * replaced, PostgreSQL restarted as after a crash in the middle. Afterwards every acknowledged entry is in
 * the log at the index it was given, with a valid inclusion proof against the final signed checkpoint; no
 * index was given twice, no tree size had two roots, and every checkpoint a client saw is consistent with
 * the final one. (The takeover times and the throughput dip are printed by `npm run bench -- tlog-chaos`.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mapLimited } from '../../src/core/index.js';
import { generateKeyPair, loadPublicKeyPem } from '../../src/crypto/index.js';
import {
  parseRekorEntry,
  verifyCheckpoint,
  verifyConsistency,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { peerMissing } from '../helpers/peers.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { type ChaosReport, runTlogChaos } from '../helpers/tlog-chaos.js';

const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);
const DURATION_MS = 60_000;
const KILL_EVERY_MS = 3_000;

describe('tlog replicas under chaos: kill -9 every 3 s for a minute, PostgreSQL restarted', {
  skip: pgSkip,
}, () => {
  let postgres: PostgresServer;
  let report: ChaosReport;

  before(async () => {
    postgres = await startPostgres();
    const dataDir = await mkdtemp(join(tmpdir(), 'sigil-chaos-'));
    report = await runTlogChaos({
      postgres,
      dataDir,
      replicaArgs: ['--database', postgres.url, '--batch-interval', '5'],
      replicas: 3,
      clients: 64,
      durationMs: DURATION_MS,
      killEveryMs: KILL_EVERY_MS,
      privateKey: generateKeyPair().privateKey,
    });
  });
  after(async () => {
    await Promise.all(report?.replicas.map((r) => r.stop()) ?? []);
    await postgres?.stop();
  });

  it('went through the kills and the restart with entries acknowledged after each, no replica crashing', () => {
    // Only the kills end replicas: one that exited on its own (say, at the restart) is a bug.
    for (const replica of report.replicas) {
      assert.equal(replica.child.exitCode, null, `${replica.url} exited: ${replica.stderr()}`);
    }
    // One every 3 s while a survivor is up; fewer when replacements start slowly on a loaded machine.
    assert.ok(report.kills.length >= 5, `${report.kills.length} kills`);
    for (const moment of [...report.kills.map((k) => k.at), report.postgresRestart.backAt]) {
      assert.ok(
        report.acknowledged.some((a) => a.sentAt >= moment),
        `an entry sent after ${moment.toFixed(0)} ms was acknowledged`,
      );
    }
  });

  it('gave no index twice and no tree size two roots', () => {
    const bodies = new Map<number, string>();
    const roots = new Map<number, string>();
    for (const { entry } of report.acknowledged) {
      const body = bodies.get(entry.logIndex);
      assert.ok(body === undefined || body === entry.body, `index ${entry.logIndex} given twice`);
      bodies.set(entry.logIndex, entry.body);
      const { treeSize, rootHash } = entry.verification.inclusionProof;
      const root = roots.get(treeSize);
      assert.ok(root === undefined || root === rootHash, `two roots for tree size ${treeSize}`);
      roots.set(treeSize, rootHash);
    }
  });

  it('lost nothing acknowledged, and every checkpoint seen is consistent with the final one', async () => {
    const reader = report.replicas[0];
    assert.ok(reader);
    const logKey = loadPublicKeyPem(
      await (await fetch(`${reader.url}/api/v1/log/publicKey`)).text(),
      'log key',
    );
    const head = (await (await fetch(`${reader.url}/api/v1/log`)).json()) as { signedTreeHead: string };
    const final = verifyCheckpoint(head.signedTreeHead, {
      name: '127.0.0.1',
      keyHint: createHash('sha256')
        .update(logKey.export({ type: 'spki', format: 'der' }))
        .digest()
        .subarray(0, 4),
      publicKey: logKey,
    });
    await mapLimited(report.acknowledged, 16, async ({ entry: acked }) => {
      const got = (await (
        await fetch(`${reader.url}/api/v1/log/entries?logIndex=${acked.logIndex}`)
      ).json()) as object;
      const entry = parseRekorEntry(Object.values(got)[0], `entry ${acked.logIndex}`);
      assert.equal(entry.body, acked.body, `entry ${acked.logIndex} changed or vanished`);
      assert.ok(entry.verification.inclusionProof.treeSize >= final.size);
      verifyRekorEntry(entry, { publicKey: logKey });
    });
    const seen = new Map(
      report.acknowledged.map(({ entry }) => [
        entry.verification.inclusionProof.treeSize,
        entry.verification.inclusionProof.rootHash,
      ]),
    );
    await mapLimited([...seen], 16, async ([size, root]) => {
      const proof = (await (
        await fetch(`${reader.url}/api/v1/log/proof?firstSize=${size}&lastSize=${final.size}`)
      ).json()) as { hashes: string[] };
      verifyConsistency(
        size,
        final.size,
        proof.hashes.map((h) => Buffer.from(h, 'hex')),
        Buffer.from(root, 'hex'),
        final.rootHash,
      );
    });
  });
});
