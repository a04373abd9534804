/**
 * The two roots a consistency proof implies, without comparing them to anything: the one walk of
 * RFC 9162 §2.1.4.2 steps 2-6. verifyConsistency (verify.ts) compares both with the checkpoints'
 * roots and answers yes or no; a verifier of evidence, or an auditor that built the proof from a
 * log's tiles, also needs to know WHICH root failed:
 *   - the new root does not match: the path is not made of this tree's hashes (tampered tiles or a
 *     tampered proof), so the old checkpoint was not even tested;
 *   - only the old root does not match: the path genuinely comes from the new tree, and the new tree
 *     does not begin with the old one: the log forked.
 * Sizes are safe integers, so bit operations are written as arithmetic (JS bit ops are 32-bit).
 */
import { isPowerOfTwo } from './subtree.ts';
import { HASH_SIZE, nodeHashInto, type Hash } from './hash.ts';

export interface ConsistencyRoots {
  /** The root of the first `oldSize` leaves, as the path computes it. */
  readonly oldRoot: Hash;
  /** The root of the whole new tree, as the path computes it. */
  readonly newRoot: Hash;
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/**
 * RFC 9162 §2.1.4.2 steps 2-6 over a complete `path`: the consistency proof with the old tree's own
 * hash in front when `oldSize` is a power of two. Returns undefined when the path has the wrong shape
 * for the sizes (too long, too short, empty, or sizes with nothing to prove: 0 < old < new only).
 */
export function rootsFromConsistencyPath(
  oldSize: number,
  newSize: number,
  path: readonly Hash[],
): ConsistencyRoots | undefined {
  if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize) && 0 < oldSize && oldSize < newSize))
    return undefined;
  if (path.length === 0) return undefined;
  for (const h of path) if (!(h instanceof Uint8Array && h.length === HASH_SIZE)) return undefined;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Both chains are hashed in place (an array per hash would cost as much as the hashing), in
  // copies: never write into the caller's bytes.
  const fr = new Uint8Array(path[0]!);
  const sr = new Uint8Array(path[0]!);
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      nodeHashInto(c, fr, fr);
      nodeHashInto(c, sr, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      nodeHashInto(sr, c, sr);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return undefined;
  return { oldRoot: fr, newRoot: sr };
}

/**
 * The roots implied by an RFC 9162 consistency proof, exactly as the verifier builds them: when
 * `oldSize` is a power of two the claimed `oldRoot` is the first node of the path (so the computed
 * old root then equals it by construction, and only the new root says anything).
 */
export function consistencyProofRoots(
  oldSize: number,
  newSize: number,
  oldRoot: Hash,
  proof: readonly Hash[],
): ConsistencyRoots | undefined {
  if (proof.length === 0) return undefined;
  return rootsFromConsistencyPath(oldSize, newSize, isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof);
}
