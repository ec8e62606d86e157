/**
 * The Merkle tree of RFC 6962 / RFC 9162: hashing, an append-only frontier that gives the root after each
 * leaf in O(log n), and inclusion and consistency proofs built from the hashes of perfect subtrees (the
 * nodes a log stores, tile by tile) and verified without trusting the prover.
 */
import { createHash } from 'node:crypto';
import { SigilError } from '../core/index.js';

export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/** A stored node: the root of the perfect subtree of 2^level leaves starting at leaf index·2^level. */
export interface NodeId {
  level: number;
  index: number;
}

export interface NodeHashReader {
  /** The hashes of the given perfect-subtree nodes, in the same order. */
  getNodeHashes(nodes: readonly NodeId[]): Promise<Buffer[]>;
}

/**
 * The frontier of an append-only tree: the roots of its perfect subtrees, largest first. Appending a leaf
 * returns the nodes that became complete, which is exactly what a store must persist for later proofs.
 */
export class CompactTree {
  private constructor(
    private sizeValue: number,
    private readonly frontier: Buffer[],
  ) {}

  static empty(): CompactTree {
    return new CompactTree(0, []);
  }

  /** Rebuilds the frontier of a tree of `size` leaves from stored node hashes (after a restart). */
  static async load(size: number, reader: NodeHashReader): Promise<CompactTree> {
    const nodes = perfectSubtrees(0, size);
    return new CompactTree(size, await reader.getNodeHashes(nodes));
  }

  get size(): number {
    return this.sizeValue;
  }

  /** Appends a leaf hash; returns every node completed by it (the leaf itself first). */
  append(hash: Buffer): { node: NodeId; hash: Buffer }[] {
    const index = this.sizeValue;
    const completed = [{ node: { level: 0, index }, hash }];
    let carry = hash;
    let level = 0;
    // Each trailing one bit of the old size is a perfect subtree of that height that the new leaf completes.
    while ((index >> level) & 1) {
      const left = this.frontier.pop() as Buffer;
      carry = nodeHash(left, carry);
      level++;
      completed.push({ node: { level, index: index >> level }, hash: carry });
    }
    this.frontier.push(carry);
    this.sizeValue++;
    return completed;
  }

  root(): Buffer {
    if (this.frontier.length === 0) return emptyRoot();
    let root = this.frontier[this.frontier.length - 1] as Buffer;
    for (let i = this.frontier.length - 2; i >= 0; i--) root = nodeHash(this.frontier[i] as Buffer, root);
    return root;
  }

  clone(): CompactTree {
    return new CompactTree(this.sizeValue, [...this.frontier]);
  }
}

/** The perfect subtrees that make up leaves [begin, end), left to right. */
function perfectSubtrees(begin: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let at = begin;
  while (at < end) {
    // The largest aligned power-of-two block starting at `at` that fits.
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= end) level++;
    nodes.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return nodes;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The ranges whose hashes make an inclusion proof for leaf `index` in a tree of `size` (RFC 9162 PATH). */
function inclusionRanges(index: number, begin: number, end: number): [number, number][] {
  if (end - begin <= 1) return [];
  const k = largestPowerOfTwoBelow(end - begin);
  return index < begin + k
    ? [...inclusionRanges(index, begin, begin + k), [begin + k, end]]
    : [...inclusionRanges(index, begin + k, end), [begin, begin + k]];
}

/** The ranges of a consistency proof between sizes m and n (RFC 9162 SUBPROOF). */
function consistencyRanges(m: number, begin: number, end: number, complete: boolean): [number, number][] {
  const n = end - begin;
  if (m === n) return complete ? [] : [[begin, end]];
  const k = largestPowerOfTwoBelow(n);
  return m <= k
    ? [...consistencyRanges(m, begin, begin + k, complete), [begin + k, end]]
    : [...consistencyRanges(m - k, begin + k, end, false), [begin, begin + k]];
}

/** Hashes of ranges, each folded from its perfect subtrees, fetched from the store in one call. */
async function rangeHashes(ranges: [number, number][], reader: NodeHashReader): Promise<Buffer[]> {
  const plans = ranges.map(([begin, end]) => perfectSubtrees(begin, end));
  const hashes = await reader.getNodeHashes(plans.flat());
  let next = 0;
  return plans.map((plan) => {
    const parts = hashes.slice(next, next + plan.length);
    next += plan.length;
    let hash = parts[parts.length - 1] as Buffer;
    for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(parts[i] as Buffer, hash);
    return hash;
  });
}

export async function inclusionProof(index: number, size: number, reader: NodeHashReader): Promise<Buffer[]> {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new SigilError('BAD_INPUT', `leaf index ${index} is outside a tree of size ${size}`);
  }
  return rangeHashes(inclusionRanges(index, 0, size), reader);
}

export async function consistencyProof(
  size1: number,
  size2: number,
  reader: NodeHashReader,
): Promise<Buffer[]> {
  if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) {
    throw new SigilError('BAD_INPUT', `no consistency proof from size ${size1} to size ${size2}`);
  }
  if (size1 === 0 || size1 === size2) return [];
  return rangeHashes(consistencyRanges(size1, 0, size2, true), reader);
}

/** The root of a tree of the given leaf hashes (for tests and small trees). */
export function rootFromLeafHashes(leaves: readonly Buffer[]): Buffer {
  const tree = CompactTree.empty();
  for (const leaf of leaves) tree.append(leaf);
  return tree.root();
}

function fail(reason: string): never {
  throw new SigilError('TLOG_ENTRY_MISMATCH', `inclusion or consistency proof rejected: ${reason}`);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) fail(`${what} is ${hash.length} bytes, not ${HASH_SIZE}`);
}

/** RFC 9162 §2.1.3.2. Throws TLOG_ENTRY_MISMATCH with the reason unless the proof holds. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(leaf, 'leaf hash');
  checkHash(root, 'root hash');
  for (const [i, p] of proof.entries()) checkHash(p, `proof hash ${i}`);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    fail(`leaf index ${index} is outside a tree of size ${size}`);
  }
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let hash: Buffer = Buffer.from(leaf);
  for (const sibling of proof) {
    if (sn === 0n) fail('proof has more hashes than the tree has levels');
    if ((fn & 1n) === 1n || fn === sn) {
      hash = nodeHash(sibling, hash);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail('proof has fewer hashes than the tree has levels');
  if (!hash.equals(root)) fail('computed root does not match the tree root');
}

/** RFC 9162 §2.1.4.2. Throws TLOG_ENTRY_MISMATCH with the reason unless the trees are consistent. */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2) {
    fail(`sizes ${size1} and ${size2} are not increasing`);
  }
  // Every tree extends the empty one, so such a "proof" would prove nothing: reject it rather than accept.
  if (size1 === 0) fail('consistency with the empty tree proves nothing');
  if (size1 === size2) {
    if (proof.length > 0) fail('proof between equal sizes must be empty');
    if (!Buffer.from(root1).equals(root2)) fail('equal sizes with different roots');
    return;
  }
  checkHash(root1, 'first root');
  checkHash(root2, 'second root');
  for (const [i, p] of proof.entries()) checkHash(p, `proof hash ${i}`);
  if (proof.length === 0) fail('empty proof between different sizes');
  const isPowerOfTwo = (size1 & (size1 - 1)) === 0;
  const path = isPowerOfTwo ? [root1, ...proof] : [...proof];
  let fn = BigInt(size1 - 1);
  let sn = BigInt(size2 - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(path[0] as Uint8Array);
  for (const c of path.slice(1)) {
    if (sn === 0n) fail('proof has too many hashes');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail('proof has too few hashes');
  if (!fr.equals(root1)) fail('proof does not lead to the first root');
  if (!sr.equals(root2)) fail('proof does not lead to the second root');
}

/** Node hashes in memory: the reference store for tests and the model the persistent stores follow. */
export class MemoryNodeStore implements NodeHashReader {
  private readonly nodes = new Map<string, Buffer>();

  put(node: NodeId, hash: Buffer): void {
    this.nodes.set(`${node.level}/${node.index}`, hash);
  }

  async getNodeHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
    return nodes.map((n) => {
      const hash = this.nodes.get(`${n.level}/${n.index}`);
      if (!hash) throw new SigilError('IO_ERROR', `node ${n.level}/${n.index} is not stored`);
      return hash;
    });
  }
}
