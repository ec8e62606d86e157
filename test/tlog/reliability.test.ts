/**
 * The log's promises under stress: bad submissions change nothing; concurrent submissions get distinct,
 * contiguous indices; and kill -9 at any moment loses no acknowledged entry and leaves a consistent tree.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, loadPublicKeyPem } from '../../src/crypto/index.js';
import {
  leafHash,
  parseRekorEntry,
  type RunningTlog,
  startTlog,
  verifyCheckpoint,
  verifyConsistency,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';
import { startTlogProcess } from '../helpers/tlog-process.js';

const { privateKey } = generateKeyPair();

const post = (url: string, body: unknown) =>
  fetch(`${url}/api/v1/log/entries`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
const treeSize = async (url: string) =>
  ((await (await fetch(`${url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;

describe('tlog: bad submissions', () => {
  let tlog: RunningTlog;
  before(async () => {
    tlog = await startTlog({
      host: '127.0.0.1',
      port: 0,
      dataDir: await mkdtemp(join(tmpdir(), 'sigil-tlog-')),
      intervalMs: 2,
      maxBodyBytes: 4096,
    });
  });
  after(() => tlog.close());

  it('answers 400 with the reason and changes nothing', async () => {
    const good = await signedHashedRekord(privateKey, 'good');
    const cases: [string, unknown, RegExp][] = [
      ['malformed JSON', '{"kind": ', /JSON|body/i],
      ['wrong kind', { ...good, kind: 'rpm' }, /unsupported entry kind rpm/],
      [
        'bad base64 signature',
        { ...good, spec: { ...good.spec, signature: { ...good.spec.signature, content: '%%%' } } },
        /spec\.signature\.content/,
      ],
      [
        'signature not matching',
        { ...good, spec: { ...good.spec, data: { hash: { algorithm: 'sha256', value: 'a'.repeat(64) } } } },
        /does not verify/,
      ],
      [
        'bad digest',
        { ...good, spec: { ...good.spec, data: { hash: { algorithm: 'sha256', value: 'xyz' } } } },
        /hex sha256 digest/,
      ],
      [
        'not a key',
        {
          ...good,
          spec: {
            ...good.spec,
            signature: {
              ...good.spec.signature,
              publicKey: { content: Buffer.from('hello').toString('base64') },
            },
          },
        },
        /PEM/,
      ],
      ['oversized', { ...good, padding: 'x'.repeat(5000) }, /larger than 4096 bytes/],
    ];
    const before = await treeSize(tlog.url);
    for (const [name, body, reason] of cases) {
      const response = await post(tlog.url, body);
      assert.equal(response.status, 400, name);
      const answer = (await response.json()) as { code: number; message: string };
      assert.equal(answer.code, 400);
      assert.match(answer.message, reason, name);
    }
    assert.equal(await treeSize(tlog.url), before);
  });

  it('gives concurrent submissions distinct, contiguous indices whose proofs verify', async () => {
    const start = await treeSize(tlog.url);
    const bodies = await Promise.all(
      Array.from({ length: 300 }, (_, i) => signedHashedRekord(privateKey, `concurrent ${i}`)),
    );
    const answers = await Promise.all(
      bodies.map(async (b) => (await post(tlog.url, b)).json() as Promise<Record<string, unknown>>),
    );
    const entries = answers.map((a) => parseRekorEntry(Object.values(a)[0], 'answer'));
    const indexes = entries.map((e) => e.logIndex).sort((a, b) => a - b);
    assert.deepEqual(
      indexes,
      Array.from({ length: 300 }, (_, i) => start + i),
    );
    for (const entry of entries) verifyRekorEntry(entry, { publicKey: tlog.log.key.publicKey });
  });
});

describe('tlog: kill -9 never loses an acknowledged entry', () => {
  it('survives repeated kill -9 mid-batch with every acknowledged entry in place and a consistent tree', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sigil-crash-'));
    const acknowledged = new Map<number, string>();
    let previous: { size: number; root: Buffer } | undefined;
    let port: number | undefined;
    for (let round = 0; round < 5; round++) {
      const server = await startTlogProcess(dataDir, ['--batch-interval', '3', '--batch-size', '16'], port);
      port = Number(new URL(server.url).port);
      const logKey = loadPublicKeyPem(
        await (await fetch(`${server.url}/api/v1/log/publicKey`)).text(),
        'log key',
      );
      // Every acknowledged entry from earlier rounds is still there, at its index, with its body.
      for (const [index, body] of acknowledged) {
        const got = (await (
          await fetch(`${server.url}/api/v1/log/entries?logIndex=${index}`)
        ).json()) as Record<string, unknown>;
        const entry = parseRekorEntry(Object.values(got)[0], `entry ${index}`);
        assert.equal(entry.body, body, `round ${round}: entry ${index} changed or vanished`);
        verifyRekorEntry(entry, { publicKey: logKey });
      }
      const head = (await (await fetch(`${server.url}/api/v1/log`)).json()) as {
        treeSize: number;
        rootHash: string;
        signedTreeHead: string;
      };
      const logId = createHash('sha256')
        .update(logKey.export({ type: 'spki', format: 'der' }))
        .digest();
      const checkpoint = verifyCheckpoint(head.signedTreeHead, {
        name: '127.0.0.1',
        keyHint: logId.subarray(0, 4),
        publicKey: logKey,
      });
      assert.ok(checkpoint.size >= acknowledged.size);
      if (previous && previous.size > 0) {
        const proof = (await (
          await fetch(`${server.url}/api/v1/log/proof?firstSize=${previous.size}&lastSize=${checkpoint.size}`)
        ).json()) as { hashes: string[] };
        verifyConsistency(
          previous.size,
          checkpoint.size,
          proof.hashes.map((h) => Buffer.from(h, 'hex')),
          previous.root,
          checkpoint.rootHash,
        );
      }
      previous = { size: checkpoint.size, root: checkpoint.rootHash };

      // Submit continuously from 16 clients, and kill -9 the server while batches are in flight.
      let stop = false;
      const clients = Array.from({ length: 16 }, async (_, c) => {
        for (let i = 0; !stop; i++) {
          const body = await signedHashedRekord(privateKey, `round ${round} client ${c} entry ${i}`);
          try {
            const response = await post(server.url, body);
            if (response.status !== 201) continue;
            const entry = parseRekorEntry(
              Object.values((await response.json()) as Record<string, unknown>)[0],
              'ack',
            );
            acknowledged.set(entry.logIndex, entry.body);
            assert.equal(leafHash(Buffer.from(entry.body, 'base64')).length, 32);
          } catch {
            return; // the server died mid-request: that entry was never acknowledged
          }
        }
      });
      // Kill once this round has had acknowledgements (however loaded the machine), at a random moment.
      const target = acknowledged.size + 8;
      for (let waited = 0; acknowledged.size < target && waited < 15_000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      await server.stop('SIGKILL');
      stop = true;
      await Promise.all(clients);
    }
    assert.ok(acknowledged.size > 20, `only ${acknowledged.size} entries were acknowledged`);
  });
});
