/**
 * Perfect subtrees, the unit of stored Merkle state. Node (level, index) is the root of the 2^level
 * leaves starting at leaf index * 2^level. Every tree hash fleetlog needs, including the "ephemeral"
 * nodes on the right edge of a tree whose size is not a power of two, is a fold over a few of these.
 */
import { FleetlogError } from '../errors.ts';

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Largest power of two strictly below n (n >= 2), the RFC 9162 split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  let x = n;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/**
 * Decomposes the leaf range [begin, end) into maximal aligned perfect subtrees, left to right.
 * For the ranges RFC 9162 builds (begin aligned to a power of two >= end - begin) the sizes strictly
 * decrease, and the range's Merkle Tree Hash is the right fold H(n0, H(n1, ... H(n_{k-2}, n_{k-1}))).
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && 0 <= begin && begin <= end)) {
    throw new FleetlogError('internal', `invalid leaf range [${begin}, ${end})`);
  }
  const nodes: NodeId[] = [];
  let at = begin;
  while (at < end) {
    let size = 1;
    let level = 0;
    // Grow while still aligned and inside the range.
    while (at % (size * 2) === 0 && at + size * 2 <= end) {
      size *= 2;
      level += 1;
    }
    nodes.push({ level, index: at / size });
    at += size;
  }
  return nodes;
}
