/**
 * Every perfect-subtree hash of a tree, kept in memory as Frontier.append reports them: the
 * SyncHashReader for trees built inside one process (test vectors, simulated logs, tests).
 */
import { FleetlogError } from '../errors.ts';
import type { Hash } from './hash.ts';
import type { SyncHashReader } from './proof-plan.ts';
import type { NodeId } from './subtree.ts';
import { foldRight, Frontier } from './tree.ts';

export class MemoryHashStore implements SyncHashReader {
  readonly frontier = Frontier.empty();
  /** levels[level][index]: the hash of perfect subtree (level, index). */
  readonly levels: Hash[][] = [];

  constructor(leaves: readonly Hash[] = []) {
    for (const h of leaves) this.append(h);
  }

  get size(): number {
    return this.frontier.size;
  }

  append(leaf: Hash): void {
    this.frontier.append(leaf, (node, hash) => {
      this.levels[node.level] ??= [];
      this.levels[node.level]![node.index] = hash;
    });
  }

  readNodes(nodes: readonly NodeId[]): Hash[] {
    return nodes.map((n) => {
      const h = this.levels[n.level]?.[n.index];
      if (!h) throw new FleetlogError('internal', `Merkle node (${n.level}, ${n.index}) is not stored`);
      return h;
    });
  }

  /** The root of the tree of the first `size` leaves (any size up to the current one). */
  root(size = this.size): Hash {
    return foldRight(this.readNodes(Frontier.nodes(size)));
  }
}
