/**
 * A deliberately naive, independent RFC 9162 reference: the recursive definitions of MTH (§2.1.1),
 * PATH (§2.1.3.1) and PROOF/SUBPROOF (§2.1.4.1), hashing with node:crypto directly, plus
 * verifiers that are the literal inverses of those recursions. It shares no code with core/merkle,
 * so agreement between the two is evidence, not tautology.
 */
import { createHash } from 'node:crypto';

export type RefHash = Uint8Array;

export function refSha256(...parts: Uint8Array[]): RefHash {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export const REF_EMPTY_ROOT = refSha256();
export const refLeafHash = (entry: Uint8Array): RefHash => refSha256(Uint8Array.of(0), entry);
export const refNodeHash = (left: RefHash, right: RefHash): RefHash => refSha256(Uint8Array.of(1), left, right);

/** The largest power of two strictly less than n (n >= 2). */
export function refSplit(n: number): number {
  let k = 1;
  while (k < n) k *= 2;
  return k / 2;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A tree over fixed leaf hashes; any prefix D[0:n] is a tree of size n. MTH results are memoised. */
export class ReferenceTree {
  readonly #memo = new Map<string, RefHash>();

  constructor(readonly leafHashes: readonly RefHash[]) {}

  /** MTH(D[lo:hi]). */
  mth(lo: number, hi: number): RefHash {
    const n = hi - lo;
    if (n === 0) return REF_EMPTY_ROOT;
    if (n === 1) return this.leafHashes[lo]!;
    const key = `${lo}:${hi}`;
    const known = this.#memo.get(key);
    if (known) return known;
    const k = refSplit(n);
    const h = refNodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
    this.#memo.set(key, h);
    return h;
  }

  root(n: number): RefHash {
    return this.mth(0, n);
  }

  /** PATH(m, D[lo:hi]), m relative to lo. */
  path(m: number, lo: number, hi: number): RefHash[] {
    const n = hi - lo;
    if (n <= 1) return [];
    const k = refSplit(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  inclusionProof(index: number, size: number): RefHash[] {
    return this.path(index, 0, size);
  }

  /** SUBPROOF(m, D[lo:hi], b). */
  subproof(m: number, lo: number, hi: number, b: boolean): RefHash[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = refSplit(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }

  /** PROOF(m, D[0:n]); empty for the m = 0 and m = n cases the RFC leaves out. */
  consistencyProof(m: number, n: number): RefHash[] {
    if (m === 0 || m === n) return [];
    return this.subproof(m, 0, n, true);
  }
}

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * The root a proof implies if it has exactly the shape PATH(index, D[size]) has, walking the
 * recursion from the top: the last proof element is the sibling of the top split.
 */
export function refRootFromPath(
  index: number,
  size: number,
  leaf: RefHash,
  proof: readonly RefHash[],
): RefHash | undefined {
  if (!isSize(index) || !isSize(size) || index >= size) return undefined;
  if (leaf.length !== 32 || proof.some((p) => p.length !== 32)) return undefined;
  const walk = (m: number, n: number, end: number): RefHash | undefined => {
    if (n === 1) return end === 0 ? leaf : undefined;
    if (end === 0) return undefined;
    const k = refSplit(n);
    const sibling = proof[end - 1]!;
    if (m < k) {
      const inner = walk(m, k, end - 1);
      return inner && refNodeHash(inner, sibling);
    }
    const inner = walk(m - k, n - k, end - 1);
    return inner && refNodeHash(sibling, inner);
  };
  return walk(index, size, proof.length);
}

export function refVerifyInclusion(
  index: number,
  size: number,
  leaf: RefHash,
  proof: readonly RefHash[],
  root: RefHash,
): boolean {
  const r = refRootFromPath(index, size, leaf, proof);
  return r !== undefined && root.length === 32 && same(r, root);
}

/**
 * Consistency by inverting SUBPROOF: recompute both the old and the new root from the proof,
 * consuming elements from the end. m = 0 and m = n follow the conventions every verifier uses
 * (empty proof; empty-tree hash, or equal roots).
 */
export function refVerifyConsistency(
  m: number,
  n: number,
  oldRoot: RefHash,
  newRoot: RefHash,
  proof: readonly RefHash[],
): boolean {
  if (!isSize(m) || !isSize(n) || m > n) return false;
  if (oldRoot.length !== 32 || newRoot.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  if (m === 0) return proof.length === 0 && same(oldRoot, REF_EMPTY_ROOT);
  if (m === n) return proof.length === 0 && same(oldRoot, newRoot);
  type Pair = { old: RefHash; new: RefHash };
  // Returns the hashes of D[0:m'] and D[0:n'] for this subtree, using proof[0:end] exactly.
  const walk = (mm: number, nn: number, b: boolean, end: number): Pair | undefined => {
    if (mm === nn) {
      if (b) return end === 0 ? { old: oldRoot, new: oldRoot } : undefined;
      return end === 1 ? { old: proof[0]!, new: proof[0]! } : undefined;
    }
    if (end === 0) return undefined;
    const k = refSplit(nn);
    const last = proof[end - 1]!;
    if (mm <= k) {
      const inner = walk(mm, k, b, end - 1);
      return inner && { old: inner.old, new: refNodeHash(inner.new, last) };
    }
    const inner = walk(mm - k, nn - k, false, end - 1);
    return inner && { old: refNodeHash(last, inner.old), new: refNodeHash(last, inner.new) };
  };
  const r = walk(m, n, true, proof.length);
  return r !== undefined && same(r.old, oldRoot) && same(r.new, newRoot);
}
