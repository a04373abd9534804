/**
 * C2SP tlog-tiles arithmetic: tile coordinates, paths, which tiles a tree of size n has, and which
 * tile holds the hashes needed for any perfect subtree.
 *
 * A tile (L, N) holds up to 256 hashes of tree level 8L: the roots of the subtrees of 256^L leaves
 * starting at leaf (N*256 + i) * 256^L. Level 0 tiles hold leaf hashes.
 */
import { FleetlogError } from '../errors.ts';
import { HASH_SIZE, type Hash } from './hash.ts';
import type { NodeId } from './subtree.ts';
import { rootOfLeafHashes } from './tree.ts';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const MAX_TILE_LEVEL = 63;

export interface TileId {
  /** Tile level L (tree level 8L), 0..63. */
  readonly level: number;
  readonly index: number;
  /** Number of hashes (or entries): 256 for a full tile, 1..255 for a partial one. */
  readonly width: number;
}

export type TileKind = 'hashes' | 'entries';

/** `1234067` -> `x001/x234/067`; `5` -> `005`. */
export function formatTileIndex(index: number): string {
  let s = String(index % 1000).padStart(3, '0');
  let n = Math.floor(index / 1000);
  while (n > 0) {
    s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
    n = Math.floor(n / 1000);
  }
  return s;
}

/** The path under the log prefix, e.g. `tile/0/x001/234.p/17` or `tile/entries/005`. */
export function tilePath(tile: TileId, kind: TileKind = 'hashes'): string {
  const head = kind === 'entries' ? 'tile/entries' : `tile/${tile.level}`;
  const suffix = tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`;
  return `${head}/${formatTileIndex(tile.index)}${suffix}`;
}

const LEVEL = /^(?:0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;

/**
 * Parses a tile path (without the prefix) strictly: canonical level, 3-digit groups with `x` on
 * all but the last, no redundant leading `x000` group, and a partial width of 1..255.
 * Throws `bad_tile_path` on anything else.
 */
export function parseTilePath(path: string): { kind: TileKind; tile: TileId } {
  const fail = (why: string): never => {
    throw new FleetlogError('bad_tile_path', `malformed tile path ${JSON.stringify(path.slice(0, 80))}: ${why}`);
  };
  if (path.length > 128) fail('too long');
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) fail('expected tile/<L>/<N> or tile/entries/<N>');
  let kind: TileKind;
  let level = 0;
  if (parts[1] === 'entries') {
    kind = 'entries';
  } else {
    kind = 'hashes';
    if (!LEVEL.test(parts[1]!) || Number(parts[1]) > MAX_TILE_LEVEL) fail('level must be 0..63 without leading zeroes');
    level = Number(parts[1]);
  }
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  // A partial tile ends in `<last group>.p/<W>`.
  const last = rest[rest.length - 1]!;
  if (rest.length >= 2 && rest[rest.length - 2]!.endsWith('.p')) {
    if (!WIDTH.test(last) || Number(last) > 255) fail('partial width must be 1..255 without leading zeroes');
    width = Number(last);
    rest = rest.slice(0, -1);
    rest[rest.length - 1] = rest[rest.length - 1]!.slice(0, -2);
  }
  let index = 0;
  rest.forEach((group, i) => {
    const isLast = i === rest.length - 1;
    const digits = isLast
      ? group
      : group.startsWith('x')
        ? group.slice(1)
        : fail('every group but the last starts with x');
    if (!/^[0-9]{3}$/.test(digits)) fail('each group is exactly three digits');
    if (i === 0 && !isLast && digits === '000') fail('leading x000 group is not canonical');
    index = index * 1000 + Number(digits);
  });
  if (!Number.isSafeInteger(index)) fail('index too large');
  return { kind, tile: { level, index, width } };
}

/** 256^level, the number of leaves under one hash of a level-`level` tile. */
function leavesPerHash(level: number): number {
  return TILE_WIDTH ** level;
}

/** Number of hashes stored at tile level L for a tree of `size` leaves. */
export function hashCountAtLevel(size: number, level: number): number {
  return Math.floor(size / leavesPerHash(level));
}

/** The tile (L, N) as it exists in a tree of `size` leaves, or undefined if that tree lacks it. */
export function tileInTree(level: number, index: number, size: number): TileId | undefined {
  const count = hashCountAtLevel(size, level);
  const full = Math.floor(count / TILE_WIDTH);
  if (index < full) return { level, index, width: TILE_WIDTH };
  const partial = count % TILE_WIDTH;
  if (index === full && partial > 0) return { level, index, width: partial };
  return undefined;
}

/**
 * Whether a tree of `size` leaves can serve `tile`: a full tile it contains, or a partial tile no
 * wider than what the tree holds at that position (a prefix of a tile is the same hashes).
 */
export function treeCoversTile(tile: TileId, size: number): boolean {
  if (tile.level > MAX_TILE_LEVEL || tile.width < 1 || tile.width > TILE_WIDTH) return false;
  const count = hashCountAtLevel(size, tile.level);
  return tile.index * TILE_WIDTH + tile.width <= count;
}

/** Every tile of a tree of `size` leaves at one level: full tiles, then the partial one if any. */
export function tilesAtLevel(size: number, level: number): TileId[] {
  const count = hashCountAtLevel(size, level);
  const tiles: TileId[] = [];
  for (let index = 0; index * TILE_WIDTH < count; index++) {
    tiles.push({ level, index, width: Math.min(TILE_WIDTH, count - index * TILE_WIDTH) });
  }
  return tiles;
}

/** Every tile (all levels) of a tree of `size` leaves. Level 0 doubles as the entry bundle list. */
export function tilesForTree(size: number): TileId[] {
  const tiles: TileId[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL && hashCountAtLevel(size, level) > 0; level++)
    tiles.push(...tilesAtLevel(size, level));
  return tiles;
}

/**
 * Where a perfect subtree's hash comes from: the tile at level floor(h/8) whose hashes cover it,
 * and the run [start, start+count) of that tile's hashes that fold into it.
 */
export function tileSpanForNode(node: NodeId, size: number): { tile: TileId; start: number; count: number } {
  const tileLevel = Math.floor(node.level / TILE_HEIGHT);
  const below = node.level - tileLevel * TILE_HEIGHT; // levels to hash up inside the tile
  const count = 2 ** below;
  const first = node.index * count; // index among hashes at tile level
  const tile = tileInTree(tileLevel, Math.floor(first / TILE_WIDTH), size);
  const start = first % TILE_WIDTH;
  if (!tile || start + count > tile.width) {
    throw new FleetlogError('internal', `node (${node.level}, ${node.index}) is not in a tree of size ${size}`);
  }
  return { tile, start, count };
}

/** Splits tile bytes into hashes, checking the length matches the width. */
export function tileHashes(data: Uint8Array, width: number): Hash[] {
  if (data.length !== width * HASH_SIZE) {
    throw new FleetlogError(
      'bad_tile',
      `tile of width ${width} must be ${width * HASH_SIZE} bytes, got ${data.length}`,
    );
  }
  const hashes: Hash[] = new Array(width);
  for (let i = 0; i < width; i++) hashes[i] = data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  return hashes;
}

/** The hash of a perfect subtree, from the tile hashes that cover it. */
export function nodeHashFromTile(span: { start: number; count: number }, hashes: readonly Hash[]): Hash {
  return rootOfLeafHashes(hashes.slice(span.start, span.start + span.count));
}

/** Key for maps of fetched tiles. */
export function tileKey(tile: TileId): string {
  return `${tile.level}/${tile.index}/${tile.width}`;
}
