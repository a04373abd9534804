/**
 * Inclusion and consistency proofs computed by the auditor itself from a log's tiles, so that it
 * works against ANY tlog-tiles log and never has to take a proof from the server: plan which
 * perfect subtrees the proof needs (core/merkle/proof-plan.ts), fetch the few tiles that hold them
 * (core/merkle/tiles.ts tileSpanForNode), fold. O(log n) tiles per proof.
 *
 * Tiles are not authenticated one by one; the proof built from them is checked against a signed
 * root, which authenticates every hash that went into it.
 */
import { toHex } from '../core/bytes.ts';
import { EMPTY_ROOT, type Hash } from '../core/merkle/hash.ts';
import { assembleProof, planConsistency, planInclusion, planRoot, type ProofPlan } from '../core/merkle/proof-plan.ts';
import { isPowerOfTwo, type NodeId } from '../core/merkle/subtree.ts';
import { nodeHashFromTile, tileHashes, tileKey, tilePath, tileSpanForNode, type TileId } from '../core/merkle/tiles.ts';
import type { TilesClient } from './tiles-client.ts';

/** One hash of a proof, with where it came from, for printing the path. */
export interface ProofStep {
  readonly hash: Hash;
  /** The perfect subtrees folded into this proof hash (usually one). */
  readonly nodes: ReadonlyArray<{ readonly level: number; readonly index: number; readonly tile: string }>;
}

/** Reads perfect-subtree hashes of a tree of `size` leaves from its tiles, caching tiles per reader. */
export class TileNodeReader {
  readonly #tiles = new Map<string, Promise<Hash[]>>();

  constructor(
    readonly client: TilesClient,
    /** The verified tree size whose tiles are read. */
    readonly size: number,
  ) {}

  #tile(tile: TileId): Promise<Hash[]> {
    const key = tileKey(tile);
    let hashes = this.#tiles.get(key);
    if (!hashes) {
      hashes = this.client.tile(tile, this.size).then((data) => tileHashes(data, tile.width));
      this.#tiles.set(key, hashes);
    }
    return hashes;
  }

  async readNodes(nodes: readonly NodeId[]): Promise<Hash[]> {
    return Promise.all(
      nodes.map(async (node) => {
        const span = tileSpanForNode(node, this.size);
        return nodeHashFromTile(span, await this.#tile(span.tile));
      }),
    );
  }

  /** Tile paths a node's hash is read from (for printing). */
  tileOf(node: NodeId): string {
    return tilePath(tileSpanForNode(node, this.size).tile);
  }
}

async function proofFromPlan(reader: TileNodeReader, plan: ProofPlan): Promise<ProofStep[]> {
  const hashes = await reader.readNodes(plan.nodes);
  const proof = assembleProof(plan, hashes);
  const steps: ProofStep[] = [];
  let at = 0;
  plan.groups.forEach((count, i) => {
    const nodes = plan.nodes
      .slice(at, at + count)
      .map((n) => ({ level: n.level, index: n.index, tile: reader.tileOf(n) }));
    steps.push({ hash: proof[i]!, nodes });
    at += count;
  });
  return steps;
}

/** The inclusion proof for leaf `index` in the tree of `reader.size` leaves. */
export function inclusionProofFromTiles(reader: TileNodeReader, index: number): Promise<ProofStep[]> {
  return proofFromPlan(reader, planInclusion(index, reader.size));
}

export interface TileConsistency {
  /** The RFC 9162 consistency proof from `oldSize` to `reader.size`. */
  readonly proof: ProofStep[];
  /**
   * When `oldSize` is a power of two, the new tree's own hash of its first `oldSize` leaves (node
   * (log2 oldSize, 0)), read from the tiles: with it in front of the proof the old root is computed
   * rather than assumed, which tells a fork apart from bad tiles (core/merkle/consistency-roots.ts).
   */
  readonly oldSubtree?: Hash;
}

export async function consistencyProofFromTiles(reader: TileNodeReader, oldSize: number): Promise<TileConsistency> {
  const proof = await proofFromPlan(reader, planConsistency(oldSize, reader.size));
  if (oldSize > 0 && oldSize < reader.size && isPowerOfTwo(oldSize)) {
    const [oldSubtree] = await reader.readNodes([{ level: Math.log2(oldSize), index: 0 }]);
    return { proof, oldSubtree: oldSubtree! };
  }
  return { proof };
}

/** The root of the tree of `reader.size` leaves, from its tiles. */
export async function rootFromTiles(reader: TileNodeReader): Promise<Hash> {
  const plan = planRoot(reader.size);
  const [root] = assembleProof(plan, await reader.readNodes(plan.nodes));
  return root ?? EMPTY_ROOT;
}

/** A proof path as printable lines, leaf sibling first. */
export function describeProof(steps: readonly ProofStep[]): string[] {
  return steps.map((s, i) => {
    const from = s.nodes.map((n) => `node(${n.level},${n.index}) from ${n.tile}`).join(' + ');
    return `  [${i}] ${toHex(s.hash)}  = ${from}`;
  });
}

export function proofHashes(steps: readonly ProofStep[]): Hash[] {
  return steps.map((s) => s.hash);
}
