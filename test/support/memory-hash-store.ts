// An in-memory store of every perfect subtree hash, fed by Frontier.append's node sink.
import type { Hash } from '../../core/merkle/hash.ts';
import type { SyncHashReader } from '../../core/merkle/proof-plan.ts';
import type { NodeId } from '../../core/merkle/subtree.ts';
import { Frontier } from '../../core/merkle/tree.ts';

export class MemoryHashStore implements SyncHashReader {
  readonly frontier = Frontier.empty();
  readonly levels: Hash[][] = [];

  append(leaf: Hash): void {
    this.frontier.append(leaf, (node, hash) => {
      (this.levels[node.level] ??= [])[node.index] = hash;
    });
  }

  readNodes(nodes: readonly NodeId[]): Hash[] {
    return nodes.map((n) => {
      const h = this.levels[n.level]?.[n.index];
      if (!h) throw new Error(`node ${n.level}/${n.index} not stored`);
      return h;
    });
  }
}
