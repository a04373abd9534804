/**
 * Audit step 5 against a live log: is the checkpoint we now hold one history with the last one we
 * saw? The consistency proof is computed from the log's tiles (never taken from the server), and
 * when it fails we say why: the tiles do not even reach the new signed root (tampered tiles), or
 * they do and the new tree starts with a different tree than the one we saw (a fork).
 */
import { count as plural } from '../cli/plural.ts';
import { bytesEqual, fromHex, toHex } from '../core/bytes.ts';
import type { Checkpoint } from '../core/checkpoint.ts';
import type { SeenCheckpoint } from '../core/audit/steps.ts';
import { rootsFromConsistencyPath } from '../core/merkle/consistency-roots.ts';
import type { Hash } from '../core/merkle/hash.ts';
import { isFleetlogError } from '../core/errors.ts';
import { verifyConsistency } from '../core/merkle/verify.ts';
import { consistencyProofFromTiles, proofHashes, TileNodeReader, type ProofStep } from './tile-proofs.ts';
import type { TilesClient } from './tiles-client.ts';

export type ConsistencyOutcome =
  | { readonly kind: 'first' }
  | { readonly kind: 'same' }
  /** Same size, different root: the log signed two trees of one size. */
  | { readonly kind: 'split-view' }
  | { readonly kind: 'grew'; readonly proof: ProofStep[] }
  /** The log now serves a smaller tree than we saw; `prefix` says if it is at least a prefix of it. */
  | { readonly kind: 'rollback'; readonly prefix: boolean; readonly proof: ProofStep[] }
  /** The proof built from the new tree's tiles reaches its signed root, but not our old root. */
  | { readonly kind: 'fork'; readonly proof: ProofStep[] }
  /** The proof built from the tiles does not reach the new signed root, or a tile is malformed: the tiles are wrong. */
  | { readonly kind: 'bad-tiles'; readonly proof: ProofStep[]; readonly detail?: string };

export function seenOf(cp: Checkpoint): SeenCheckpoint {
  return { origin: cp.origin, size: cp.size, rootHash: toHex(cp.rootHash) };
}

/**
 * Proves `older` (size m) is a prefix of `newer` (size n > m) with tiles of the newer tree, and
 * classifies a failure. `newerSize` must be a size we verified a signed checkpoint for.
 */
export async function proveExtends(
  client: TilesClient,
  older: { size: number; root: Hash },
  newer: { size: number; root: Hash },
): Promise<{ ok: boolean; why: 'ok' | 'fork' | 'bad-tiles'; proof: ProofStep[] }> {
  const reader = new TileNodeReader(client, newer.size);
  const { proof, oldSubtree } = await consistencyProofFromTiles(reader, older.size);
  const hashes = proofHashes(proof);
  if (verifyConsistency(older.size, newer.size, older.root, newer.root, hashes)) return { ok: true, why: 'ok', proof };
  const roots = rootsFromConsistencyPath(older.size, newer.size, oldSubtree ? [oldSubtree, ...hashes] : hashes);
  const why = roots && bytesEqual(roots.newRoot, newer.root) ? 'fork' : 'bad-tiles';
  return { ok: false, why, proof };
}

export async function checkConsistency(
  client: TilesClient,
  last: SeenCheckpoint | undefined,
  current: Checkpoint,
): Promise<ConsistencyOutcome> {
  try {
    return await classify(client, last, current);
  } catch (e) {
    // A malformed tile (wrong length, over its cap) is the log's fault, like a tile with wrong hashes.
    if (isFleetlogError(e, 'bad_tile')) return { kind: 'bad-tiles', proof: [], detail: e.message };
    throw e;
  }
}

async function classify(
  client: TilesClient,
  last: SeenCheckpoint | undefined,
  current: Checkpoint,
): Promise<ConsistencyOutcome> {
  if (!last) return { kind: 'first' };
  const lastRoot = fromHex(last.rootHash, 32, 'saved root hash');
  if (last.size === current.size)
    return bytesEqual(lastRoot, current.rootHash) ? { kind: 'same' } : { kind: 'split-view' };
  if (current.size > last.size) {
    const r = await proveExtends(
      client,
      { size: last.size, root: lastRoot },
      { size: current.size, root: current.rootHash },
    );
    if (r.ok) return { kind: 'grew', proof: r.proof };
    return r.why === 'fork' ? { kind: 'fork', proof: r.proof } : { kind: 'bad-tiles', proof: r.proof };
  }
  // A smaller tree than we saw. The larger one was verified earlier, so its tiles may be fetched.
  if (current.size === 0) return { kind: 'rollback', prefix: true, proof: [] };
  const r = await proveExtends(
    client,
    { size: current.size, root: current.rootHash },
    { size: last.size, root: lastRoot },
  );
  return { kind: 'rollback', prefix: r.ok, proof: r.proof };
}

/** A sentence for each outcome, for step 5's reason. */
export function describeConsistency(
  outcome: ConsistencyOutcome,
  last: SeenCheckpoint | undefined,
  current: Checkpoint,
): string {
  const from = last ? `${last.size}` : '?';
  switch (outcome.kind) {
    case 'first':
      return 'no earlier checkpoint seen: trust on first use of this log state';
    case 'same':
      return `same tree as last seen (size ${current.size})`;
    case 'split-view':
      return `split view: the log signed two different roots for tree size ${current.size}`;
    case 'grew':
      return `tree grew from ${from} to ${current.size} consistently (proof of ${plural(outcome.proof.length, 'hash', 'hashes')} computed from tiles)`;
    case 'rollback':
      return `rollback: the log now serves tree size ${current.size}, smaller than the ${from} seen before${outcome.prefix ? ' (a stale prefix of it)' : ', and not even a prefix of it'}`;
    case 'fork':
      return `fork: the log's tiles prove tree ${current.size} does not start with the tree of size ${from} seen before`;
    case 'bad-tiles':
      if (outcome.detail) return `the log serves a malformed tile: ${outcome.detail}`;
      return `the consistency proof computed from the log's tiles does not lead to the signed root of tree ${current.size}: the log serves tiles that do not match its checkpoint`;
  }
}
