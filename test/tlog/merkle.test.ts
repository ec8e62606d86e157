import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CompactTree,
  consistencyProof,
  inclusionProof,
  leafHash,
  MemoryNodeStore,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../src/tlog/merkle.js';
import { FIXTURES } from '../helpers/fixtures.js';

const b64 = (s: string | null | undefined) => Buffer.from(s ?? '', 'base64');

function vectorFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? vectorFiles(path) : name.endsWith('.json') ? [path] : [];
  });
}

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

describe('Merkle proofs: transparency-dev vectors (../shared/fixtures/merkle)', () => {
  const inclusionDir = join(FIXTURES, 'merkle', 'inclusion');
  const consistencyDir = join(FIXTURES, 'merkle', 'consistency');
  const inclusion = vectorFiles(inclusionDir);
  const consistency = vectorFiles(consistencyDir);

  it('has vectors to run', () => {
    assert.ok(
      inclusion.length > 50 && consistency.length > 50,
      `${inclusion.length} / ${consistency.length}`,
    );
  });

  for (const file of inclusion) {
    const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
    it(`inclusion ${file.slice(inclusionDir.length + 1)} (${v.wantErr ? 'rejected' : 'accepted'})`, () => {
      const check = () =>
        verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, (v.proof ?? []).map(b64), b64(v.root));
      if (v.wantErr) assert.throws(check, /proof rejected/);
      else check();
    });
  }

  for (const file of consistency) {
    const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
    it(`consistency ${file.slice(consistencyDir.length + 1)} (${v.wantErr ? 'rejected' : 'accepted'})`, () => {
      const check = () =>
        verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
      if (v.wantErr) assert.throws(check, /proof rejected/);
      else check();
    });
  }
});

describe('Merkle proofs: generated from stored nodes', () => {
  const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const store = new MemoryNodeStore();
  const tree = CompactTree.empty();
  const roots = [rootFromLeafHashes([])];
  for (const leaf of leaves) {
    for (const { node, hash } of tree.append(leaf)) store.put(node, hash);
    roots.push(tree.root());
  }

  it('the compact tree gives the RFC 6962 root at every size', () => {
    for (let n = 0; n <= leaves.length; n++)
      assert.deepEqual(roots[n], rootFromLeafHashes(leaves.slice(0, n)), `size ${n}`);
  });

  it('inclusion proofs verify for every leaf of trees of size 1..70, and fail for another leaf', async () => {
    for (let size = 1; size <= leaves.length; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(index, size, store);
        verifyInclusion(leaves[index] as Buffer, index, size, proof, roots[size] as Buffer);
        if (size > 1) {
          assert.throws(() =>
            verifyInclusion(leaves[(index + 1) % size] as Buffer, index, size, proof, roots[size] as Buffer),
          );
        }
      }
    }
  });

  it('consistency proofs verify for every pair of sizes up to 40, and fail against a wrong root', async () => {
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, store);
        verifyConsistency(m, n, proof, roots[m] as Buffer, roots[n] as Buffer);
        if (m < n)
          assert.throws(() => verifyConsistency(m, n, proof, roots[m] as Buffer, roots[n - 1] as Buffer));
      }
    }
  });

  it('resumes from stored nodes after a restart', async () => {
    const resumed = await CompactTree.load(37, store);
    assert.deepEqual(resumed.root(), roots[37]);
    resumed.append(leaves[37] as Buffer);
    assert.deepEqual(resumed.root(), roots[38]);
  });
});
