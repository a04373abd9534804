/**
 * A SyncHashReader backed only by C2SP tiles, the way a tile client reads: every node is computed
 * from the tile that covers it (tileSpanForNode + nodeHashFromTile). Tile bytes come from a
 * caller-supplied source, so tests can fill tiles from an independent reference tree.
 */
import type { Hash } from '../../core/merkle/hash.ts';
import type { SyncHashReader } from '../../core/merkle/proof-plan.ts';
import type { NodeId } from '../../core/merkle/subtree.ts';
import { nodeHashFromTile, tileHashes, tileKey, tileSpanForNode, type TileId } from '../../core/merkle/tiles.ts';

export type TileSource = (tile: TileId) => Uint8Array;

export class TileHashReader implements SyncHashReader {
  readonly fetched = new Set<string>();

  constructor(
    readonly size: number,
    readonly source: TileSource,
  ) {}

  readNodes(nodes: readonly NodeId[]): Hash[] {
    return nodes.map((node) => {
      const span = tileSpanForNode(node, this.size);
      this.fetched.add(tileKey(span.tile));
      return nodeHashFromTile(span, tileHashes(this.source(span.tile), span.tile.width));
    });
  }
}

/** Tile bytes from any function giving MTH(D[lo:hi]): tile (L, N) hash i covers 256^L leaves. */
export function tileSourceFromMth(mth: (lo: number, hi: number) => Uint8Array): TileSource {
  const cache = new Map<string, Uint8Array>();
  return (tile) => {
    const key = tileKey(tile);
    const known = cache.get(key);
    if (known) return known;
    const span = 256 ** tile.level;
    const out = new Uint8Array(tile.width * 32);
    for (let i = 0; i < tile.width; i++) {
      const lo = (tile.index * 256 + i) * span;
      out.set(mth(lo, lo + span), i * 32);
    }
    cache.set(key, out);
    return out;
  };
}
