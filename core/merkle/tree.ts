/**
 * Whole-tree hashing: the Merkle Tree Hash of a list of leaves (RFC 9162 §2.1.1), and the compact
 * range ("frontier") that appends a leaf in O(log n) and yields the root at any size.
 */
import { FleetlogError } from '../errors.ts';
import { sha256Into } from '../crypto/sha256.ts';
import { EMPTY_ROOT, HASH_SIZE, NODE_INPUT_SIZE, NODE_PREFIX, nodeHash, type Hash } from './hash.ts';
import { rangeNodes, type NodeId } from './subtree.ts';

/**
 * MTH of leaf hashes, computed left to right like a Frontier: a stack holds the roots of the
 * perfect subtrees completed so far, equal neighbours merge as leaves arrive, and the remaining
 * stack folds right to left at the end (the same root as the RFC's left-balanced split).
 * Everything lives in one small buffer whose first 65 bytes are the node-hash input: merging the
 * two topmost roots is one copyWithin and one SHA-256, with no array per node, and the working
 * set stays in cache however many leaves there are.
 */
export function rootOfLeafHashes(leaves: readonly Hash[]): Hash {
  const n = leaves.length;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[0]!;
  const work = new Uint8Array(NODE_INPUT_SIZE + 64 * HASH_SIZE);
  work[0] = NODE_PREFIX;
  const input = work.subarray(0, NODE_INPUT_SIZE);
  const at = (k: number): number => NODE_INPUT_SIZE + k * HASH_SIZE;
  let top = 0; // stack entries
  const mergeTop = (): void => {
    work.copyWithin(1, at(top - 2), at(top));
    sha256Into(input, work, at(top - 2));
    top -= 1;
  };
  for (let i = 0; i + 1 < n; i += 2) {
    input.set(leaves[i]!, 1);
    input.set(leaves[i + 1]!, 1 + HASH_SIZE);
    sha256Into(input, work, at(top));
    top += 1;
    // After p completed pairs the stack mirrors the binary digits of p: merge while p is even.
    for (let pairs = i / 2 + 1; pairs % 2 === 0; pairs /= 2) mergeTop();
  }
  if (n % 2 === 1) {
    work.set(leaves[n - 1]!, at(top));
    top += 1;
  }
  while (top > 1) mergeTop();
  return work.slice(at(0), at(0) + HASH_SIZE);
}

/** Right fold of a compact range's node hashes (largest subtree first) into one hash. */
export function foldRight(hashes: readonly Hash[]): Hash {
  if (hashes.length === 0) return EMPTY_ROOT;
  let h = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i]!, h);
  return h;
}

/** Called for every perfect subtree an append completes, so storage can keep the ones it needs. */
export type NodeSink = (node: NodeId, hash: Hash) => void;

/**
 * The compact range [0, size): one hash per set bit of `size`, largest subtree first. Appending a
 * leaf merges equal-sized neighbours, O(log n) hashes at most and O(1) amortised.
 */
export class Frontier {
  #size: number;
  #hashes: Hash[];

  private constructor(size: number, hashes: Hash[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  /** Rebuilds a frontier from the hashes of `rangeNodes(0, size)`, as read back from storage. */
  static restore(size: number, hashes: readonly Hash[]): Frontier {
    const expected = rangeNodes(0, size).length;
    if (hashes.length !== expected)
      throw new FleetlogError('internal', `a frontier of size ${size} has ${expected} hashes, got ${hashes.length}`);
    return new Frontier(size, hashes.slice());
  }

  /** The perfect subtrees a frontier of `size` consists of (what `restore` expects hashes for). */
  static nodes(size: number): NodeId[] {
    return rangeNodes(0, size);
  }

  get size(): number {
    return this.#size;
  }

  get hashes(): readonly Hash[] {
    return this.#hashes;
  }

  append(leaf: Hash, sink?: NodeSink): void {
    const index = this.#size;
    let h = leaf;
    sink?.({ level: 0, index }, h);
    let level = 0;
    // Each trailing 1-bit of the old size is a subtree of equal height to merge with.
    let carry = index;
    while (carry % 2 === 1) {
      const left = this.#hashes.pop()!;
      h = nodeHash(left, h);
      level += 1;
      carry = Math.floor(carry / 2);
      sink?.({ level, index: Math.floor(index / 2 ** level) }, h);
    }
    this.#hashes.push(h);
    this.#size = index + 1;
  }

  root(): Hash {
    return foldRight(this.#hashes);
  }

  clone(): Frontier {
    return new Frontier(this.#size, this.#hashes.slice());
  }
}
