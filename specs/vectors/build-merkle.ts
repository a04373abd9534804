/**
 * merkle.json and tiles.json: RFC 9162 roots, inclusion and consistency proofs (the published
 * known answers of RFC 9162 / transparency-dev, proofs from a 300-leaf tree, and deliberately broken variants), and C2SP
 * tlog-tiles paths and tile sets. Expected outcomes are stated, not computed by the verifier.
 */
import { fromHex, toHex, utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
import { consistencyProof, inclusionProof } from '../../core/merkle/proof-plan.ts';
import { tilePath, tilesForTree } from '../../core/merkle/tiles.ts';
import { vectorFile, type VectorFile } from './vector-file.ts';

const KAT_ENTRIES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const BIG_SIZE = 300;
const bigEntries = Array.from({ length: BIG_SIZE }, (_, i) => toHex(utf8(`fleetlog vector leaf ${i}`)));

export interface RootVector {
  readonly kind: 'root';
  readonly description: string;
  readonly tree: 'kat' | 'big';
  readonly size: number;
  readonly root: string;
}
export interface InclusionVector {
  readonly kind: 'inclusion';
  readonly description: string;
  /** When set, the proof is the one RFC 9162 PATH gives for this tree (generators must match it). */
  readonly tree?: 'kat' | 'big';
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly proof: readonly string[];
  readonly root: string;
  readonly valid: boolean;
}
export interface ConsistencyVector {
  readonly kind: 'consistency';
  readonly description: string;
  readonly tree?: 'kat' | 'big';
  readonly size1: number;
  readonly size2: number;
  readonly root1: string;
  readonly root2: string;
  readonly proof: readonly string[];
  readonly valid: boolean;
}
export type MerkleVector = RootVector | InclusionVector | ConsistencyVector;

const flip = (hex: string, bit = 0): string => {
  const b = fromHex(hex);
  b[bit >> 3]! ^= 1 << (bit & 7);
  return toHex(b);
};

export function buildMerkleVectors(): VectorFile<MerkleVector> {
  const trees = { kat: KAT_ENTRIES, big: bigEntries };
  const stores = {
    kat: new MemoryHashStore(KAT_ENTRIES.map((e) => leafHash(fromHex(e)))),
    big: new MemoryHashStore(bigEntries.map((e) => leafHash(fromHex(e)))),
  };
  const leaf = (tree: 'kat' | 'big', i: number): string => toHex(leafHash(fromHex(trees[tree][i]!)));
  const root = (tree: 'kat' | 'big', n: number): string => toHex(stores[tree].root(n));
  const hex = (hs: readonly Hash[]): string[] => hs.map(toHex);
  const v: MerkleVector[] = [];

  v.push({
    kind: 'root',
    description: 'empty tree: SHA-256 of the empty string',
    tree: 'kat',
    size: 0,
    root: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  });
  for (let n = 1; n <= 8; n++)
    v.push({
      kind: 'root',
      description: `published known answer: root of the first ${n} leaves`,
      tree: 'kat',
      size: n,
      root: root('kat', n),
    });
  for (const n of [9, 100, 255, 256, 257, 299, 300])
    v.push({
      kind: 'root',
      description: `root of the first ${n} leaves of the 300-leaf tree`,
      tree: 'big',
      size: n,
      root: root('big', n),
    });

  // Inclusion: the known answers, proofs from the big tree, then broken variants.
  const inc = (description: string, tree: 'kat' | 'big', index: number, size: number): InclusionVector => ({
    kind: 'inclusion',
    description,
    tree,
    leafIndex: index,
    treeSize: size,
    leafHash: leaf(tree, index),
    proof: hex(inclusionProof(stores[tree], index, size)),
    root: root(tree, size),
    valid: true,
  });
  const k05 = inc('published known answer: index 5 in size 8', 'kat', 5, 8);
  v.push(
    inc('published known answer: index 0 in size 8', 'kat', 0, 8),
    k05,
    inc('published known answer: index 2 in size 3', 'kat', 2, 3),
  );
  v.push(inc('single-leaf tree: empty proof, the root is the leaf hash', 'kat', 0, 1));
  v.push(inc('last leaf of a size-7 tree (right edge without siblings at some levels)', 'kat', 6, 7));
  for (const [i, n] of [
    [0, 300],
    [299, 300],
    [255, 256],
    [256, 257],
    [128, 300],
    [17, 100],
    [99, 100],
  ] as const)
    v.push(inc(`index ${i} in size ${n}`, 'big', i, n));
  const broken = (description: string, edit: Partial<InclusionVector>): void => {
    const { tree: _tree, ...rest } = k05;
    v.push({ ...rest, ...edit, description: `index 5 in size 8, broken: ${description}`, valid: false });
  };
  broken('proof truncated', { proof: k05.proof.slice(0, 2) });
  broken('extra proof element', { proof: [...k05.proof, k05.proof[0]!] });
  broken('empty proof', { proof: [] });
  broken('proof elements reversed', { proof: [...k05.proof].reverse() });
  broken('bit 0 of the first proof element flipped', { proof: [flip(k05.proof[0]!), ...k05.proof.slice(1)] });
  broken('bit 255 of the last proof element flipped', { proof: [...k05.proof.slice(0, 2), flip(k05.proof[2]!, 255)] });
  broken('root bit flipped', { root: flip(k05.root, 100) });
  broken('leaf hash bit flipped', { leafHash: flip(k05.leafHash, 7) });
  broken('leaf hash of the entry instead of the entry bytes (no 0x00 prefix)', {
    leafHash: toHex(sha256(fromHex(KAT_ENTRIES[5]!))),
  });
  broken('index 4', { leafIndex: 4 });
  broken('index 7', { leafIndex: 7 });
  broken('index = size', { leafIndex: 8 });
  broken('index > size', { leafIndex: 9 });
  {
    // PATH(5, D[7]) = [h4, h6, MTH(0:4)] has the same shape as PATH(5, D[8]) = [h4, MTH(6:8), MTH(0:4)].
    const { tree: _tree, ...rest } = k05;
    v.push({
      ...rest,
      description:
        'VALID for a different size: the index-5 proof of size 8 also fits size 7 (same path shape; the verifier cannot tell MTH(6:8) from a leaf hash)',
      treeSize: 7,
    });
  }
  broken('size 9', { treeSize: 9 });
  broken('size 0', { treeSize: 0 });
  broken('a 31-byte proof element', { proof: [k05.proof[0]!.slice(2), ...k05.proof.slice(1)] });
  broken('a 33-byte root', { root: `${k05.root}00` });
  // The verifier cannot tell a leaf hash from an interior hash: when growing the tree adds no
  // sibling on the leaf's path, one proof fits two sizes. These are legitimately valid.
  const p03 = inc('index 0 in size 3', 'kat', 0, 3);
  v.push({
    ...p03,
    tree: undefined,
    description:
      'VALID for a different size: the size-3 proof for index 0, presented for size 4 (no new sibling on the path)',
    treeSize: 4,
  });
  const p12 = inc('index 1 in size 2', 'kat', 1, 2);
  v.push({
    ...p12,
    tree: undefined,
    description: 'VALID for a different index and size: the (1, 2) proof presented as (2, 3) (same path shape)',
    leafIndex: 2,
    treeSize: 3,
  });
  v.push({
    ...p12,
    tree: undefined,
    description: 'the (1, 2) proof presented as (1, 3): a different shape, invalid',
    treeSize: 3,
    valid: false,
  });

  // Consistency.
  const con = (description: string, tree: 'kat' | 'big', m: number, n: number): ConsistencyVector => ({
    kind: 'consistency',
    description,
    tree,
    size1: m,
    size2: n,
    root1: root(tree, m),
    root2: root(tree, n),
    proof: hex(consistencyProof(stores[tree], m, n)),
    valid: true,
  });
  const c68 = con('published known answer: 6 -> 8', 'kat', 6, 8);
  v.push(
    c68,
    con('published known answer: 2 -> 5', 'kat', 2, 5),
    con('published known answer: 4 -> 8 (old size a power of two: the old root is not in the proof)', 'kat', 4, 8),
  );
  v.push(con('size1 == size2: empty proof, equal roots', 'kat', 5, 5));
  v.push(con('size1 == 0: empty proof; the old root is the empty-tree hash', 'kat', 0, 8));
  v.push(con('1 -> 8', 'kat', 1, 8), con('7 -> 8', 'kat', 7, 8), con('3 -> 7', 'kat', 3, 7));
  for (const [m, n] of [
    [1, 300],
    [256, 300],
    [255, 257],
    [100, 299],
    [128, 256],
    [299, 300],
  ] as const)
    v.push(con(`${m} -> ${n}`, 'big', m, n));
  const cbroken = (description: string, edit: Partial<ConsistencyVector>): void => {
    const { tree: _tree, ...rest } = c68;
    v.push({ ...rest, ...edit, description: `6 -> 8, broken: ${description}`, valid: false });
  };
  cbroken('proof truncated', { proof: c68.proof.slice(0, 2) });
  cbroken('extra proof element', { proof: [...c68.proof, c68.proof[0]!] });
  cbroken('empty proof', { proof: [] });
  cbroken('first proof element bit flipped', { proof: [flip(c68.proof[0]!), ...c68.proof.slice(1)] });
  cbroken('old root bit flipped', { root1: flip(c68.root1, 9) });
  cbroken('new root bit flipped', { root2: flip(c68.root2, 200) });
  cbroken('roots swapped', { root1: c68.root2, root2: c68.root1 });
  cbroken('size1 5', { size1: 5 });
  cbroken('size1 7', { size1: 7 });
  {
    // PROOF(6, D[7]) = [MTH(4:6), h6, MTH(0:4)] has the shape of PROOF(6, D[8]) = [MTH(4:6), MTH(6:8), MTH(0:4)].
    const { tree: _tree, ...rest } = c68;
    v.push({
      ...rest,
      description: 'VALID for a different size: the 6 -> 8 proof also fits 6 -> 7 (same shape)',
      size2: 7,
    });
  }
  cbroken('size2 9', { size2: 9 });
  cbroken('size1 > size2', { size1: 8, size2: 6, root1: c68.root2, root2: c68.root1 });
  const c00 = con('', 'kat', 0, 8);
  v.push({
    ...c00,
    tree: undefined,
    description: 'size1 == 0 with a non-empty proof',
    proof: [c68.proof[0]!],
    valid: false,
  });
  v.push({
    ...c00,
    tree: undefined,
    description: 'size1 == 0 with an old root that is not the empty-tree hash',
    root1: root('kat', 1),
    valid: false,
  });
  const c55 = con('', 'kat', 5, 5);
  v.push({
    ...c55,
    tree: undefined,
    description: 'size1 == size2 with a non-empty proof',
    proof: [root('kat', 1)],
    valid: false,
  });
  v.push({
    ...c55,
    tree: undefined,
    description: 'size1 == size2 with different roots (a split view)',
    root2: root('kat', 6),
    valid: false,
  });
  const c48 = con('', 'kat', 4, 8);
  v.push({
    ...c48,
    tree: undefined,
    description: '4 -> 8 with the old root prepended to the proof (it must be implied, not sent)',
    proof: [c48.root1, ...c48.proof],
    valid: false,
  });

  return vectorFile(
    'merkle',
    'RFC 9162 Merkle tree hashes, inclusion proofs (§2.1.3) and consistency proofs (§2.1.4). Leaf hash = SHA-256(0x00 || entry), interior = SHA-256(0x01 || left || right). All hashes are lowercase hex.',
    v,
    { trees },
  );
}

export interface TilePathVector {
  readonly kind: 'path';
  readonly description: string;
  readonly path: string;
  readonly valid: boolean;
  /** For valid paths: what they name. `entries` is true for tile/entries paths. */
  readonly tile?: { readonly level: number; readonly index: number; readonly width: number; readonly entries: boolean };
}
export interface TileTreeVector {
  readonly kind: 'tree';
  readonly description: string;
  readonly treeSize: number;
  /** Every hash tile of the tree, level 0 first, full tiles before the partial one. */
  readonly tiles: readonly string[];
}
export type TileVector = TilePathVector | TileTreeVector;

export function buildTileVectors(): VectorFile<TileVector> {
  const v: TileVector[] = [];
  const ok = (
    description: string,
    path: string,
    level: number,
    index: number,
    width: number,
    entries = false,
  ): void => {
    v.push({ kind: 'path', description, path, valid: true, tile: { level, index, width, entries } });
  };
  const bad = (description: string, path: string): void => {
    v.push({ kind: 'path', description, path, valid: false });
  };
  ok('first full level-0 tile', 'tile/0/000', 0, 0, 256);
  ok('partial tile', 'tile/0/273.p/112', 0, 273, 112);
  ok('index 1234067 in x-prefixed groups', 'tile/2/x001/x234/067', 2, 1234067, 256);
  ok('highest level, widest partial tile', 'tile/63/x001/000.p/255', 63, 1000, 255);
  ok('partial width 1', 'tile/1/001.p/1', 1, 1, 1);
  ok('an inner x000 group is fine', 'tile/0/x001/x000/000', 0, 1000000, 256);
  ok('entry bundle', 'tile/entries/x001/234', 0, 1234, 256, true);
  ok('partial entry bundle', 'tile/entries/005.p/9', 0, 5, 9, true);
  for (const [description, path] of [
    ['level with a leading zero', 'tile/00/000'],
    ['level 64', 'tile/64/000'],
    ['leading x000 group', 'tile/0/x000/005'],
    ['missing x on a non-last group', 'tile/0/001/234'],
    ['x on the last group', 'tile/0/x001'],
    ['four-digit group', 'tile/0/0005'],
    ['one-digit group', 'tile/0/5'],
    ['width 0', 'tile/0/000.p/0'],
    ['width 256', 'tile/0/000.p/256'],
    ['width with leading zeroes', 'tile/0/000.p/007'],
    ['empty width', 'tile/0/000.p/'],
    ['trailing slash', 'tile/0/000/'],
    ['leading slash', '/tile/0/000'],
    ['missing index', 'tile/0'],
    ['entries with a level', 'tile/entries/0/000'],
    ['index above 2^53 - 1', 'tile/0/x009/x007/x199/x254/x740/992'],
  ] as const) {
    bad(description, path);
  }
  const tree = (description: string, size: number): void => {
    v.push({ kind: 'tree', description, treeSize: size, tiles: tilesForTree(size).map((t) => tilePath(t)) });
  };
  tree('empty tree: no tiles', 0);
  tree('one leaf: a level-0 partial tile of width 1', 1);
  tree('size 256: one full level-0 tile and a level-1 partial tile of width 1 (C2SP)', 256);
  tree('size 257', 257);
  tree(
    'size 70000 (C2SP worked example): 273 full level-0 tiles, 273.p/112, tile/1/000, tile/1/001.p/17, tile/2/000.p/1',
    70000,
  );
  return vectorFile(
    'tiles',
    'C2SP tlog-tiles: tile paths (strict parsing) and the set of hash tiles of a tree size. Entry bundles use the same paths under tile/entries.',
    v,
  );
}
