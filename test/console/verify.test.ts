/**
 * The console's in-browser checks (console/src/verify.ts, run here on Node's WebCrypto, the same API the
 * browser has) against entries and proofs made by sigil's own log: a real entry verifies, and each kind of
 * alteration is refused with its reason; the Merkle code agrees with the log's for every index and size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  importLogKey,
  parseCheckpoint,
  type RekorEntry,
  rootFromInclusionProof,
  verifyConsistency,
  verifyEntry,
} from '../../console/src/verify.js';
import { generateKeyPair } from '../../src/crypto/index.js';
import {
  CompactTree,
  consistencyProof,
  inclusionProof,
  leafHash,
  logKeyFrom,
  MemoryNodeStore,
  rootFromLeafHashes,
  SqliteLogStorage,
  TransparencyLog,
} from '../../src/tlog/index.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

const { privateKey } = generateKeyPair();

async function logWith(algorithm: 'ecdsa-p256' | 'ed25519', entries: number) {
  const key = logKeyFrom(generateKeyPair(algorithm).privateKey);
  const log = await TransparencyLog.open(new SqliteLogStorage(':memory:'), key, { hostname: 'log.example' });
  const added = [];
  for (let i = 0; i < entries; i++)
    added.push(await log.add(await signedHashedRekord(privateKey, `entry ${i}`)));
  const browserKey = await importLogKey(key.publicKey.export({ type: 'spki', format: 'der' }));
  return { log, added, browserKey, key };
}

describe('console: in-browser entry checks', () => {
  for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
    it(`verifies a logged entry, leaf to signed checkpoint and SET (${algorithm} log key)`, async () => {
      const { log, added, browserKey } = await logWith(algorithm, 5);
      try {
        const third = added[2] as (typeof added)[number];
        const fresh = (await log.byUuid(third.uuid))?.entry as RekorEntry;
        const result = await verifyEntry(third.uuid, fresh, browserKey);
        assert.equal(result.line, 'verified');
        assert.deepEqual(
          result.checks.map((c) => c.name),
          ['leaf hash', 'inclusion proof', 'checkpoint signature', 'signed entry timestamp'],
        );
      } finally {
        await log.close();
      }
    });
  }

  it('refuses an altered body, proof, checkpoint, signature or SET, saying which', async () => {
    const { log, added, browserKey } = await logWith('ecdsa-p256', 6);
    const other = await importLogKey(
      logKeyFrom(generateKeyPair().privateKey).publicKey.export({ type: 'spki', format: 'der' }),
    );
    try {
      const target = added[3] as (typeof added)[number];
      const entry = (await log.byUuid(target.uuid))?.entry as RekorEntry;
      const proofOf = (e: RekorEntry) => {
        const p = e.verification?.inclusionProof;
        assert.ok(p, 'the entry has an inclusion proof');
        return p;
      };
      const altered = (change: (e: RekorEntry) => void) => {
        const copy = structuredClone(entry);
        change(copy);
        return verifyEntry(target.uuid, copy, browserKey);
      };
      const body = JSON.parse(Buffer.from(entry.body, 'base64').toString());
      body.spec.data.hash.value = '0'.repeat(64);
      const cases: [Promise<{ line: string }>, RegExp][] = [
        [
          altered((e) => {
            e.body = Buffer.from(JSON.stringify(body)).toString('base64');
          }),
          /the body was altered/,
        ],
        [
          altered((e) => {
            proofOf(e).hashes[0] = 'ab'.repeat(32);
          }),
          /the inclusion proof leads to root [0-9a-f]{16}…, the signed checkpoint says/,
        ],
        [
          altered((e) => {
            proofOf(e).hashes.pop();
          }),
          /shorter than the tree is deep/,
        ],
        [
          altered((e) => {
            const p = proofOf(e);
            p.checkpoint = p.checkpoint.replace(/\n\n\u2014 (\S+) (\S+)\n$/, (_m, name, sig: string) => {
              const bytes = Buffer.from(sig, 'base64');
              bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 1;
              return `\n\n\u2014 ${name} ${bytes.toString('base64')}\n`;
            });
          }),
          /the checkpoint's signature does not verify with the log's key/,
        ],
        [
          altered((e) => {
            proofOf(e).treeSize = 99;
          }),
          /outside|checkpoint is for tree size|inclusion proof/,
        ],
        [
          altered((e) => {
            e.integratedTime += 1;
          }),
          /the SignedEntryTimestamp does not verify/,
        ],
      ];
      for (const [result, reason] of cases) {
        const { line } = await result;
        assert.match(line, /^not verified: /);
        assert.match(line, reason);
      }
      const wrongKey = await verifyEntry(target.uuid, entry, other);
      assert.match(
        wrongKey.line,
        /^not verified: the checkpoint has no signature by the log's key \(key hint/,
      );
    } finally {
      await log.close();
    }
  });

  it("agrees with the log's Merkle code on every inclusion and consistency proof up to 33 leaves", async () => {
    const leaves = Array.from({ length: 33 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const store = new MemoryNodeStore();
    const tree = CompactTree.empty();
    for (const leaf of leaves) for (const { node, hash } of tree.append(leaf)) store.put(node, hash);
    for (let size = 1; size <= leaves.length; size++) {
      const root = rootFromLeafHashes(leaves.slice(0, size));
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(index, size, store);
        assert.deepEqual(
          Buffer.from(await rootFromInclusionProof(index, size, leaves[index] as Buffer, proof)),
          root,
        );
      }
      for (let first = 1; first <= size; first++) {
        const proof = await consistencyProof(first, size, store);
        await verifyConsistency(first, size, rootFromLeafHashes(leaves.slice(0, first)), root, proof);
        if (first < size && proof.length > 0) {
          await assert.rejects(
            verifyConsistency(
              first,
              size,
              rootFromLeafHashes(leaves.slice(0, first)),
              Buffer.alloc(32),
              proof,
            ),
            /does not lead to the root/,
          );
        }
      }
    }
  });

  it('parses checkpoints strictly', () => {
    assert.throws(() => parseCheckpoint('origin\n1\n'), /no blank line/);
    assert.throws(() => parseCheckpoint('origin\nx\nroot\n\n'), /origin, size and root hash/);
    assert.throws(
      () => parseCheckpoint('o\n1\nAAAA\n\nnot a signature\n'),
      /malformed checkpoint signature line/,
    );
  });
});
