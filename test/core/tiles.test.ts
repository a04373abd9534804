// C2SP tlog-tiles arithmetic: index encoding, strict path parsing, which tiles a tree has, and
// where each perfect subtree's hash lives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rangeNodes } from '../../core/merkle/subtree.ts';
import {
  formatTileIndex,
  hashCountAtLevel,
  parseTilePath,
  tileHashes,
  tileInTree,
  tilePath,
  tilesAtLevel,
  tilesForTree,
  tileSpanForNode,
  treeCoversTile,
  type TileId,
} from '../../core/merkle/tiles.ts';
import { codeOf } from '../support/error-code.ts';

describe('tile index encoding', () => {
  it.each([
    [0, '000'],
    [5, '005'],
    [999, '999'],
    [1000, 'x001/000'],
    [1234067, 'x001/x234/067'],
    [1000000, 'x001/x000/000'],
    [Number.MAX_SAFE_INTEGER, 'x009/x007/x199/x254/x740/991'],
  ])('%i -> %s', (index, path) => {
    expect(formatTileIndex(index)).toBe(path);
  });

  it('formats and parses paths round trip for any level, index, width and kind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.maxSafeNat()),
        fc.integer({ min: 1, max: 256 }),
        fc.constantFrom('hashes' as const, 'entries' as const),
        (level, index, width, kind) => {
          const tile: TileId = { level: kind === 'entries' ? 0 : level, index, width };
          const path = tilePath(tile, kind);
          expect(parseTilePath(path)).toEqual({ kind, tile });
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['tile/0/000', 0, 0, 256],
    ['tile/0/273.p/112', 0, 273, 112],
    ['tile/63/x001/x234/067.p/255', 63, 1234067, 255],
    ['tile/1/001.p/1', 1, 1, 1],
    ['tile/2/x001/000', 2, 1000, 256],
  ])('parses %s', (path, level, index, width) => {
    expect(parseTilePath(path)).toEqual({ kind: 'hashes', tile: { level, index, width } });
  });

  it('parses entry bundle paths', () => {
    expect(parseTilePath('tile/entries/x001/234.p/9')).toEqual({
      kind: 'entries',
      tile: { level: 0, index: 1234, width: 9 },
    });
  });

  it.each([
    ['leading zero level', 'tile/00/000'],
    ['leading zero level 01', 'tile/01/000'],
    ['level 64', 'tile/64/000'],
    ['level 100', 'tile/100/000'],
    ['negative level', 'tile/-1/000'],
    ['signed level', 'tile/+1/000'],
    ['empty level', 'tile//000'],
    ['leading x000 group', 'tile/0/x000/005'],
    ['leading x000 group (entries)', 'tile/entries/x000/x001/000'],
    ['missing x', 'tile/0/001/234'],
    ['x on the last group', 'tile/0/x001'],
    ['x on every group', 'tile/0/x001/x234'],
    ['4-digit group', 'tile/0/0005'],
    ['4-digit x group', 'tile/0/x0001/000'],
    ['2-digit group', 'tile/0/05'],
    ['1-digit group', 'tile/0/5'],
    ['uppercase X', 'tile/0/X001/000'],
    ['non-ASCII digits', 'tile/0/\u0661\u0662\u0663'],
    ['width 0', 'tile/0/000.p/0'],
    ['width 256', 'tile/0/000.p/256'],
    ['width 007', 'tile/0/000.p/007'],
    ['width 07', 'tile/0/000.p/07'],
    ['empty width', 'tile/0/000.p/'],
    ['width with sign', 'tile/0/000.p/+7'],
    ['uppercase .P', 'tile/0/000.P/7'],
    ['.p without width', 'tile/0/000.p'],
    ['.p on a non-last group', 'tile/0/x001.p/5/000'],
    ['double .p', 'tile/0/000.p.p/5'],
    ['.p with no index', 'tile/0/.p/5'],
    ['trailing slash', 'tile/0/000/'],
    ['trailing slash after width', 'tile/0/000.p/5/'],
    ['leading slash', '/tile/0/000'],
    ['missing index', 'tile/0'],
    ['empty index', 'tile/0/'],
    ['wrong root', 'tiles/0/000'],
    ['entries with a level', 'tile/entries/0/000'],
    ['space', 'tile/0/000 '],
    ['percent-encoding', 'tile/0/%30%30%30'],
    ['dot segment', 'tile/0/./000'],
    ['index beyond 2^53', 'tile/0/x009/x007/x199/x254/x740/992'],
    ['very long', `tile/0/${'x999/'.repeat(40)}999`],
  ])('rejects %s', (_, path) => {
    expect(codeOf(() => parseTilePath(path))).toBe('bad_tile_path');
  });
});

describe('tiles of a tree', () => {
  it('tree size 70000: full level-0 tiles 000..272, 273.p/112, tile/1/000, tile/1/001.p/17, tile/2/000.p/1', () => {
    const paths = tilesForTree(70000).map((t) => tilePath(t));
    const level0 = Array.from({ length: 273 }, (_, i) => `tile/0/${String(i).padStart(3, '0')}`);
    expect(paths).toEqual([...level0, 'tile/0/273.p/112', 'tile/1/000', 'tile/1/001.p/17', 'tile/2/000.p/1']);
    expect(
      tilesAtLevel(70000, 0)
        .map((t) => tilePath(t, 'entries'))
        .at(-1),
    ).toBe('tile/entries/273.p/112');
    expect(tilesAtLevel(70000, 3)).toEqual([]);
  });

  it('tree size 256: one full level-0 tile and a level-1 partial tile of width 1', () => {
    expect(tilesForTree(256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    expect(tileInTree(0, 0, 256)).toEqual({ level: 0, index: 0, width: 256 });
    expect(tileInTree(1, 0, 256)).toEqual({ level: 1, index: 0, width: 1 });
    expect(tileInTree(0, 1, 256)).toBeUndefined();
    expect(tileInTree(2, 0, 256)).toBeUndefined();
  });

  it.each([
    [0, []],
    [1, [{ level: 0, index: 0, width: 1 }]],
    [255, [{ level: 0, index: 0, width: 255 }]],
    [
      257,
      [
        { level: 0, index: 0, width: 256 },
        { level: 0, index: 1, width: 1 },
        { level: 1, index: 0, width: 1 },
      ],
    ],
    [
      65536,
      [
        ...Array.from({ length: 256 }, (_, i) => ({ level: 0, index: i, width: 256 })),
        { level: 1, index: 0, width: 256 },
        { level: 2, index: 0, width: 1 },
      ],
    ],
  ])('tilesForTree(%i)', (size, tiles) => {
    expect(tilesForTree(size)).toEqual(tiles);
  });

  it('the partial tile at level l has floor(s / 256^l) mod 256 hashes (C2SP)', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 0, max: 6 }), (size, level) => {
        const count = Math.floor(size / 256 ** level);
        expect(hashCountAtLevel(size, level)).toBe(count);
        const partial = tileInTree(level, Math.floor(count / 256), size);
        if (count % 256 === 0) expect(partial).toBeUndefined();
        else expect(partial).toEqual({ level, index: Math.floor(count / 256), width: count % 256 });
        if (count >= 256) expect(tileInTree(level, Math.floor(count / 256) - 1, size)?.width).toBe(256);
      }),
      { numRuns: 300 },
    );
  });

  it('treeCoversTile: full tiles inside the tree and prefixes of what the tree holds', () => {
    expect(treeCoversTile({ level: 0, index: 0, width: 256 }, 256)).toBe(true);
    expect(treeCoversTile({ level: 0, index: 0, width: 256 }, 255)).toBe(false);
    expect(treeCoversTile({ level: 0, index: 0, width: 255 }, 256)).toBe(true); // a prefix is the same hashes
    expect(treeCoversTile({ level: 0, index: 0, width: 200 }, 199)).toBe(false);
    expect(treeCoversTile({ level: 0, index: 1, width: 1 }, 256)).toBe(false);
    expect(treeCoversTile({ level: 0, index: 1, width: 1 }, 257)).toBe(true);
    expect(treeCoversTile({ level: 1, index: 0, width: 1 }, 256)).toBe(true);
    expect(treeCoversTile({ level: 1, index: 0, width: 2 }, 256)).toBe(false);
    expect(treeCoversTile({ level: 1, index: 0, width: 1 }, 255)).toBe(false);
    expect(treeCoversTile({ level: 2, index: 0, width: 1 }, 65535)).toBe(false);
    expect(treeCoversTile({ level: 2, index: 0, width: 1 }, 65536)).toBe(true);
    expect(treeCoversTile({ level: 0, index: 0, width: 0 }, 256)).toBe(false);
    expect(treeCoversTile({ level: 0, index: 0, width: 257 }, 1000)).toBe(false);
    expect(treeCoversTile({ level: 64, index: 0, width: 1 }, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(treeCoversTile({ level: 0, index: 0, width: 1 }, 0)).toBe(false);
  });

  it('every tile of tilesForTree is covered, and the next one at each level is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300_000 }), (size) => {
        const tiles = tilesForTree(size);
        expect(tiles.every((t) => treeCoversTile(t, size))).toBe(true);
        for (let level = 0; hashCountAtLevel(size, level) > 0; level++) {
          const atLevel = tiles.filter((t) => t.level === level);
          const last = atLevel.at(-1)!;
          expect(treeCoversTile({ level, index: last.index + 1, width: 1 }, size)).toBe(false);
          if (last.width < 256) expect(treeCoversTile({ ...last, width: last.width + 1 }, size)).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('tileSpanForNode', () => {
  it('places every node of a compact range inside a tile the tree has', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(), (size, seed) => {
        const begin = seed % size;
        const nodes = [...rangeNodes(0, size), ...rangeNodes(begin, begin + 1)];
        for (const node of nodes) {
          const span = tileSpanForNode(node, size);
          expect(tileInTree(span.tile.level, span.tile.index, size)).toEqual(span.tile);
          expect(span.tile.level).toBe(Math.floor(node.level / 8));
          expect(span.count).toBe(2 ** (node.level % 8));
          expect(span.start + span.count).toBeLessThanOrEqual(span.tile.width);
          // The hashes span exactly the node's leaves.
          const leavesPerHash = 256 ** span.tile.level;
          expect((span.tile.index * 256 + span.start) * leavesPerHash).toBe(node.index * 2 ** node.level);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses nodes beyond the tree', () => {
    expect(codeOf(() => tileSpanForNode({ level: 0, index: 5 }, 5))).toBe('internal');
    expect(codeOf(() => tileSpanForNode({ level: 3, index: 0 }, 7))).toBe('internal');
    expect(codeOf(() => tileSpanForNode({ level: 8, index: 0 }, 255))).toBe('internal');
    expect(tileSpanForNode({ level: 8, index: 0 }, 256)).toEqual({
      tile: { level: 1, index: 0, width: 1 },
      start: 0,
      count: 1,
    });
  });

  it('tileHashes insists on width * 32 bytes', () => {
    expect(tileHashes(new Uint8Array(64), 2)).toHaveLength(2);
    expect(codeOf(() => tileHashes(new Uint8Array(63), 2))).toBe('bad_tile');
    expect(codeOf(() => tileHashes(new Uint8Array(96), 2))).toBe('bad_tile');
  });
});
