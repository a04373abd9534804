/**
 * Proof generation from any source of stored hashes, in two phases so that the caller decides how
 * to read (a synchronous SQLite query, a batch of HTTP tile fetches):
 *   1. plan: which perfect subtrees (NodeId) the proof needs: O(log n) of them;
 *   2. assemble: fold the hashes read for those nodes into the proof.
 * The recursions are RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF, unrolled into loops.
 */
import { FleetlogError } from '../errors.ts';
import type { Hash } from './hash.ts';
import { nodeHash } from './hash.ts';
import { rangeNodes, splitPoint, type NodeId } from './subtree.ts';

export interface ProofPlan {
  /** Every node to read, in order. */
  readonly nodes: NodeId[];
  /** How many consecutive nodes fold into each proof element (right fold), proof order. */
  readonly groups: number[];
}

function planFromRanges(ranges: Array<[number, number]>): ProofPlan {
  const nodes: NodeId[] = [];
  const groups: number[] = [];
  for (const [begin, end] of ranges) {
    const part = rangeNodes(begin, end);
    nodes.push(...part);
    groups.push(part.length);
  }
  return { nodes, groups };
}

/** The nodes for an inclusion proof of leaf `index` in a tree of `size` leaves. */
export function planInclusion(index: number, size: number): ProofPlan {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && 0 <= index && index < size)) {
    throw new FleetlogError('bad_proof', `no inclusion proof exists for index ${index} in a tree of size ${size}`);
  }
  const ranges: Array<[number, number]> = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
    }
  }
  return planFromRanges(ranges.reverse());
}

/** The nodes for a consistency proof from `oldSize` to `newSize` (empty when old is 0 or equal). */
export function planConsistency(oldSize: number, newSize: number): ProofPlan {
  if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize) && 0 <= oldSize && oldSize <= newSize)) {
    throw new FleetlogError('bad_proof', `no consistency proof exists from size ${oldSize} to size ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return { nodes: [], groups: [] };
  const ranges: Array<[number, number]> = [];
  let lo = 0;
  let hi = newSize;
  let m = oldSize;
  let complete = true; // SUBPROOF's b: whether the old tree is a complete subtree seen so far
  for (;;) {
    if (m === hi - lo) {
      if (!complete) ranges.push([lo, hi]);
      break;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return planFromRanges(ranges.reverse());
}

/** The nodes whose fold is the root of a tree of `size` leaves. */
export function planRoot(size: number): ProofPlan {
  if (size === 0) return { nodes: [], groups: [] };
  return planFromRanges([[0, size]]);
}

/** Folds the hashes read for `plan.nodes` into proof elements. */
export function assembleProof(plan: ProofPlan, hashes: readonly Hash[]): Hash[] {
  if (hashes.length !== plan.nodes.length) {
    throw new FleetlogError('internal', `proof plan needs ${plan.nodes.length} hashes, got ${hashes.length}`);
  }
  const proof: Hash[] = [];
  let at = 0;
  for (const count of plan.groups) {
    let h = hashes[at + count - 1]!;
    for (let j = at + count - 2; j >= at; j--) h = nodeHash(hashes[j]!, h);
    proof.push(h);
    at += count;
  }
  return proof;
}

/** Any store of perfect-subtree hashes, read synchronously (e.g. SQLite). */
export interface SyncHashReader {
  readNodes(nodes: readonly NodeId[]): Hash[];
}

export function inclusionProof(reader: SyncHashReader, index: number, size: number): Hash[] {
  const plan = planInclusion(index, size);
  return assembleProof(plan, reader.readNodes(plan.nodes));
}

export function consistencyProof(reader: SyncHashReader, oldSize: number, newSize: number): Hash[] {
  const plan = planConsistency(oldSize, newSize);
  return assembleProof(plan, reader.readNodes(plan.nodes));
}
