/**
 * Whole-tree hashing: the Merkle Tree Hash of a list of leaves (RFC 9162 §2.1.1), and the compact
 * range ("frontier") that appends a leaf in O(log n) and yields the root at any size.
 */
import { FleetlogError } from '../errors.ts';
import { EMPTY_ROOT, nodeHash, type Hash } from './hash.ts';
import { rangeNodes, type NodeId } from './subtree.ts';

/**
 * MTH of leaf hashes, computed bottom-up without recursion: at each level, pair neighbours; a lone
 * node at the end of a level is carried up unchanged, which yields the same root as the RFC's
 * left-balanced split.
 */
export function rootOfLeafHashes(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  let level: Hash[] = leaves.slice();
  while (level.length > 1) {
    const next: Hash[] = new Array(Math.ceil(level.length / 2));
    for (let i = 0; i + 1 < level.length; i += 2) next[i / 2] = nodeHash(level[i]!, level[i + 1]!);
    if (level.length % 2 === 1) next[next.length - 1] = level[level.length - 1]!;
    level = next;
  }
  return level[0]!;
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
    if (hashes.length !== expected) throw new FleetlogError('internal', `a frontier of size ${size} has ${expected} hashes, got ${hashes.length}`);
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
