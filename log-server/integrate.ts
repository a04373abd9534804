/**
 * Integrating a batch of leaves into the tree: extend a copy of the frontier, collect every perfect
 * subtree the appends complete (what storage keeps), and compute the new root. Pure: the caller
 * swaps in the new frontier only after the batch is durable.
 */
import type { Hash } from '../core/merkle/hash.ts';
import type { NodeId } from '../core/merkle/subtree.ts';
import { Frontier } from '../core/merkle/tree.ts';
import type { NewNode } from './storage/storage.ts';

export interface Integration {
  readonly frontier: Frontier;
  readonly root: Hash;
  readonly nodes: NewNode[];
}

export function integrateLeaves(frontier: Frontier, leaves: readonly Hash[]): Integration {
  const next = frontier.clone();
  const nodes: NewNode[] = [];
  const sink = (node: NodeId, hash: Hash): void => {
    nodes.push({ level: node.level, index: node.index, hash });
  };
  for (const leaf of leaves) next.append(leaf, sink);
  return { frontier: next, root: next.root(), nodes };
}

/** Node hashes known in memory: the frontier's subtrees plus the nodes a batch just completed. */
export function nodeLookup(frontier: Frontier, extra: readonly NewNode[]): Map<string, Hash> {
  const known = new Map<string, Hash>();
  const ids = Frontier.nodes(frontier.size);
  ids.forEach((id, i) => {
    known.set(nodeKey(id.level, id.index), frontier.hashes[i]!);
  });
  for (const n of extra) known.set(nodeKey(n.level, n.index), n.hash);
  return known;
}

export function nodeKey(level: number, index: number): string {
  return `${level}/${index}`;
}
