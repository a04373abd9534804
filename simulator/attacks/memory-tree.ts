/**
 * A whole Merkle tree in memory, for building the trees a malicious log would sign (a forked view)
 * and the proofs an attacker would fabricate. Built on core's Frontier and proof plans.
 */
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import { inclusionProof, type SyncHashReader } from '../../core/merkle/proof-plan.ts';
import type { NodeId } from '../../core/merkle/subtree.ts';
import { Frontier } from '../../core/merkle/tree.ts';

export class MemoryTree implements SyncHashReader {
  readonly #frontier = Frontier.empty();
  readonly #levels: Hash[][] = [];

  constructor(entries: readonly Uint8Array[] = []) {
    for (const e of entries) this.append(e);
  }

  append(entry: Uint8Array): void {
    this.#frontier.append(leafHash(entry), (node, hash) => {
      this.#levels[node.level] ??= [];
      this.#levels[node.level]![node.index] = hash;
    });
  }

  get size(): number {
    return this.#frontier.size;
  }

  root(): Hash {
    return this.#frontier.root();
  }

  inclusion(index: number): Hash[] {
    return inclusionProof(this, index, this.size);
  }

  readNodes(nodes: readonly NodeId[]): Hash[] {
    return nodes.map((n) => this.#levels[n.level]![n.index]!);
  }
}
