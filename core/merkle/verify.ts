/**
 * Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
 * Verifiers return false on any mismatch, including malformed input; they never throw.
 * Sizes are safe integers, so bit operations are written as arithmetic (JS bit ops are 32-bit).
 * Intermediate hashes are computed in place in one working buffer per chain (nodeHashInto):
 * an array per hash would cost as much as the hashing. The consistency walk is shared with the
 * callers that need the implied roots themselves (consistency-roots.ts).
 */
import { bytesEqual } from '../bytes.ts';
import { consistencyProofRoots } from './consistency-roots.ts';
import { EMPTY_ROOT, HASH_SIZE, nodeHashInto, type Hash } from './hash.ts';

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

function validHashes(hashes: readonly Hash[]): boolean {
  for (const h of hashes) if (!(h instanceof Uint8Array && h.length === HASH_SIZE)) return false;
  return true;
}

function validSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Computes the root implied by an inclusion proof, or undefined if the proof has the wrong shape.
 * RFC 9162 §2.1.3.2 steps 1-5.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
): Hash | undefined {
  if (!validSize(index) || !validSize(size) || index >= size) return undefined;
  if (leaf.length !== HASH_SIZE || !validHashes(proof)) return undefined;
  let fn = index;
  let sn = size - 1;
  const r = new Uint8Array(leaf); // a copy: never write into the caller's bytes (a Buffer's slice() is a view)
  for (const p of proof) {
    if (sn === 0) return undefined; // proof too long
    if (isOdd(fn) || fn === sn) {
      nodeHashInto(p, r, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      nodeHashInto(r, p, r);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return undefined; // proof too short
  return r;
}

export function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): boolean {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  return computed !== undefined && root.length === HASH_SIZE && bytesEqual(computed, root);
}

/**
 * RFC 9162 §2.1.4.2. Edge cases: equal sizes need an empty proof and equal roots; an old size of 0
 * is consistent with anything by an empty proof (the old root must be the empty-tree hash).
 * Otherwise both roots the proof implies (consistency-roots.ts, steps 1-6) must match (step 7).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Hash,
  newRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!validSize(oldSize) || !validSize(newSize) || oldSize > newSize) return false;
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE) return false;
  // The edge cases need an empty proof; the walk checks every hash of a non-empty one.
  if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, EMPTY_ROOT);
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  const roots = consistencyProofRoots(oldSize, newSize, oldRoot, proof);
  return roots !== undefined && bytesEqual(roots.oldRoot, oldRoot) && bytesEqual(roots.newRoot, newRoot);
}
