// Property tests for core/merkle against the independent recursive reference in reference-merkle.ts:
// proofs from a node store and from tiles, verification, and single-bit / index / size mutations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.ts';
import { EMPTY_ROOT, leafHash, type Hash } from '../../core/merkle/hash.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
import {
  assembleProof,
  consistencyProof,
  inclusionProof,
  planConsistency,
  planInclusion,
  planRoot,
} from '../../core/merkle/proof-plan.ts';
import { tilesForTree, tileKey } from '../../core/merkle/tiles.ts';
import { Frontier, rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { codeOf } from '../support/error-code.ts';
import { ReferenceTree, refLeafHash, refVerifyConsistency, refVerifyInclusion } from './reference-merkle.ts';
import { TileHashReader, tileSourceFromMth } from './tile-hash-reader.ts';

const MAX_LEAVES = 3000;
// Entries of varied length so leaf hashing is exercised on more than one block size.
const entries = Array.from({ length: MAX_LEAVES }, (_, i) => utf8(`entry ${i} ${'x'.repeat(i % 97)}`));
const coreLeaves = entries.map(leafHash);
const ref = new ReferenceTree(entries.map(refLeafHash));
const store = new MemoryHashStore(coreLeaves);
const tileSource = tileSourceFromMth((lo, hi) => ref.mth(lo, hi));

const hex = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

/** Copy of `h` with bit `bit` (0 = lowest bit of the first byte) flipped. */
function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(h);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

/** Safe-integer "bit flips" of a size or index (JS bit operators are 32-bit). */
function numberBitFlips(n: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 53; b++) {
    const p = 2 ** b;
    const flipped = Math.floor(n / p) % 2 === 1 ? n - p : n + p;
    if (Number.isSafeInteger(flipped)) out.push(flipped);
  }
  return out;
}

const ODD_NUMBERS = [
  -1,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1,
];

describe('roots', () => {
  it('rootOfLeafHashes == Frontier root == planRoot fold == reference MTH for every n <= 1100', () => {
    const frontier = Frontier.empty();
    expect(toHex(frontier.root())).toBe(toHex(ref.root(0)));
    for (let n = 1; n <= 1100; n++) {
      frontier.append(coreLeaves[n - 1]!);
      const expected = toHex(ref.root(n));
      expect(toHex(frontier.root()), `frontier n=${n}`).toBe(expected);
      expect(toHex(rootOfLeafHashes(coreLeaves.slice(0, n))), `rootOfLeafHashes n=${n}`).toBe(expected);
      const plan = planRoot(n);
      expect(toHex(assembleProof(plan, store.readNodes(plan.nodes))[0]!), `planRoot n=${n}`).toBe(expected);
    }
  });

  it('core leaf hashes equal the reference leaf hashes', () => {
    expect(hex(coreLeaves)).toEqual(hex(ref.leafHashes));
    expect(toHex(EMPTY_ROOT)).toBe(toHex(ref.root(0)));
  });

  it('the node sink reports exactly the perfect subtrees of the reference', () => {
    for (let level = 0; 2 ** level <= MAX_LEAVES; level++) {
      const width = 2 ** level;
      const stored = store.levels[level]!;
      expect(stored.length).toBe(Math.floor(MAX_LEAVES / width));
      for (let i = 0; i < stored.length; i += 7)
        expect(toHex(stored[i]!)).toBe(toHex(ref.mth(i * width, (i + 1) * width)));
    }
  });

  it('Frontier.restore round-trips at any size and keeps appending correctly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_LEAVES - 50 }), fc.integer({ min: 1, max: 50 }), (size, more) => {
        const restored = Frontier.restore(size, store.readNodes(Frontier.nodes(size)));
        expect(restored.size).toBe(size);
        expect(toHex(restored.root())).toBe(toHex(ref.root(size)));
        const clone = restored.clone();
        for (let i = size; i < size + more; i++) restored.append(coreLeaves[i]!);
        expect(toHex(restored.root())).toBe(toHex(ref.root(size + more)));
        expect(clone.size).toBe(size); // clones are independent
        expect(hex(restored.hashes)).toEqual(hex(store.readNodes(Frontier.nodes(size + more))));
      }),
      { numRuns: 60 },
    );
  });

  it('Frontier.restore rejects the wrong number of hashes', () => {
    expect(() => Frontier.restore(5, [coreLeaves[0]!])).toThrow();
    expect(() => Frontier.restore(0, [coreLeaves[0]!])).toThrow();
  });
});

describe('inclusion proofs', () => {
  it('every proof from the node store and from tiles equals PATH and verifies; mutations fail unless the reference accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_LEAVES }), fc.nat(), (size, seed) => {
        const index = seed % size;
        const root = ref.root(size);
        const leaf = coreLeaves[index]!;
        const expected = ref.inclusionProof(index, size);
        const fromStore = inclusionProof(store, index, size);
        const tiles = new TileHashReader(size, tileSource);
        const fromTiles = inclusionProof(tiles, index, size);
        expect(hex(fromStore)).toEqual(hex(expected));
        expect(hex(fromTiles)).toEqual(hex(expected));
        expect(verifyInclusion(index, size, leaf, fromStore, root)).toBe(true);
        expect(toHex(rootFromInclusionProof(index, size, leaf, fromStore)!)).toBe(toHex(root));
        // The tiles read all exist in the tree (tileSpanForNode never points outside it).
        const treeTiles = new Set(tilesForTree(size).map(tileKey));
        for (const t of tiles.fetched) expect(treeTiles.has(t)).toBe(true);

        // Every single-bit flip of a proof element, the leaf or the root fails.
        fromStore.forEach((_, j) => {
          for (let bit = 0; bit < 256; bit++) {
            const bad = fromStore.slice();
            bad[j] = flipBit(fromStore[j]!, bit);
            if (verifyInclusion(index, size, leaf, bad, root))
              throw new Error(`proof element ${j} bit ${bit} still verifies`);
          }
        });
        for (let bit = 0; bit < 256; bit++) {
          if (verifyInclusion(index, size, flipBit(leaf, bit), fromStore, root))
            throw new Error(`leaf bit ${bit} still verifies`);
          if (verifyInclusion(index, size, leaf, fromStore, flipBit(root, bit)))
            throw new Error(`root bit ${bit} still verifies`);
        }

        // Any other index or size: the core agrees with the reference, which accepts only
        // proofs whose shape legitimately fits (it never accepts a wrong index for this size).
        const indices = new Set([...numberBitFlips(index), ...ODD_NUMBERS, size, size + 1]);
        for (let i = 0; i < size; i += Math.max(1, Math.floor(size / 100))) indices.add(i);
        for (const i of indices) {
          if (i === index) continue;
          const got = verifyInclusion(i, size, leaf, fromStore, root);
          expect(got, `index ${index} -> ${i}, size ${size}`).toBe(refVerifyInclusion(i, size, leaf, fromStore, root));
          expect(got).toBe(false);
        }
        const sizes = new Set([...numberBitFlips(size), ...ODD_NUMBERS, index, index + 1]);
        for (let s = Math.max(1, size - 40); s <= size + 40; s++) sizes.add(s);
        for (const s of sizes) {
          if (s === size) continue;
          expect(verifyInclusion(index, s, leaf, fromStore, root), `size ${size} -> ${s}, index ${index}`).toBe(
            refVerifyInclusion(index, s, leaf, fromStore, root),
          );
        }
        // Dropping, duplicating or swapping proof elements.
        const variants: Hash[][] = [
          fromStore.slice(1),
          fromStore.slice(0, -1),
          [...fromStore, fromStore[0] ?? root],
          fromStore.slice().reverse(),
        ];
        for (const v of variants) {
          expect(verifyInclusion(index, size, leaf, v, root)).toBe(refVerifyInclusion(index, size, leaf, v, root));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a proof can legitimately fit a different size: PATH(0, D[3]) also fits size 4', () => {
    // Verifiers cannot tell a leaf hash from an interior hash, so when growing the tree adds no
    // sibling on the path, the same proof and root verify at the larger size too.
    const proof = inclusionProof(store, 0, 3);
    const root3 = ref.root(3);
    expect(verifyInclusion(0, 4, coreLeaves[0]!, proof, root3)).toBe(true);
    expect(refVerifyInclusion(0, 4, coreLeaves[0]!, proof, root3)).toBe(true);
    // ... and (index 1, size 2) vs (index 2, size 3) share the proof shape [left sibling].
    const p12 = inclusionProof(store, 1, 2);
    expect(verifyInclusion(2, 3, coreLeaves[1]!, p12, ref.root(2))).toBe(true);
  });

  it('verification never writes into its inputs, even when they are Buffers', () => {
    const index = 1234;
    const size = 2999;
    const copy = (h: Uint8Array): Buffer => Buffer.from(h);
    const leaf = copy(coreLeaves[index]!);
    const proof = inclusionProof(store, index, size).map(copy);
    const root = copy(ref.root(size));
    const before = [leaf, ...proof, root].map(toHex);
    expect(verifyInclusion(index, size, leaf, proof, root)).toBe(true);
    expect(toHex(rootFromInclusionProof(index, size, leaf, proof)!)).toBe(toHex(root));
    const oldRoot = copy(ref.root(1024));
    const cproof = consistencyProof(store, 1024, size).map(copy);
    const cbefore = [oldRoot, ...cproof].map(toHex);
    expect(verifyConsistency(1024, size, oldRoot, root, cproof)).toBe(true);
    expect([leaf, ...proof, root].map(toHex)).toEqual(before);
    expect([oldRoot, ...cproof].map(toHex)).toEqual(cbefore);
    const leaves = coreLeaves.slice(0, 77).map(copy);
    const lbefore = leaves.map(toHex);
    expect(toHex(rootOfLeafHashes(leaves))).toBe(toHex(ref.root(77)));
    expect(leaves.map(toHex)).toEqual(lbefore);
  });

  it('no proof exists for index >= size or a non-integer position', () => {
    for (const [i, n] of [
      [0, 0],
      [3, 3],
      [4, 3],
      [-1, 3],
      [0.5, 3],
      [0, Number.NaN],
    ] as const) {
      expect(
        codeOf(() => planInclusion(i, n)),
        `(${i}, ${n})`,
      ).toBe('bad_proof');
    }
  });
});

describe('consistency proofs', () => {
  it('every proof from the node store and from tiles equals PROOF and verifies; mutations fail unless the reference accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_LEAVES }), fc.nat(), fc.nat(3), (newSize, seed, pick) => {
        // Bias towards the edge cases: old = 0, old = new, powers of two.
        const candidates = [
          seed % (newSize + 1),
          0,
          newSize,
          2 ** Math.floor(Math.log2(Math.max(1, seed % newSize || 1))),
        ];
        const oldSize = Math.min(newSize, candidates[pick]!);
        const oldRoot = ref.root(oldSize);
        const newRoot = ref.root(newSize);
        const expected = ref.consistencyProof(oldSize, newSize);
        const fromStore = consistencyProof(store, oldSize, newSize);
        const fromTiles = consistencyProof(new TileHashReader(newSize, tileSource), oldSize, newSize);
        expect(hex(fromStore)).toEqual(hex(expected));
        expect(hex(fromTiles)).toEqual(hex(expected));
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, fromStore)).toBe(true);
        expect(refVerifyConsistency(oldSize, newSize, oldRoot, newRoot, fromStore)).toBe(true);

        const agree = (m: number, n: number, r1: Hash, r2: Hash, p: readonly Hash[], what: string): boolean => {
          const got = verifyConsistency(m, n, r1, r2, p);
          const want = refVerifyConsistency(m, n, r1, r2, p);
          if (got !== want) throw new Error(`${what}: core says ${got}, reference says ${want} (m=${m} n=${n})`);
          return got;
        };
        // Proof bits always matter (no reference needed: a flipped hash can never fit); root bits
        // matter except the new root when old = 0, which any tree is consistent with.
        fromStore.forEach((_, j) => {
          for (let bit = 0; bit < 256; bit++) {
            const bad = fromStore.slice();
            bad[j] = flipBit(fromStore[j]!, bit);
            if (verifyConsistency(oldSize, newSize, oldRoot, newRoot, bad))
              throw new Error(`proof[${j}] bit ${bit} flipped still verifies`);
          }
        });
        for (let bit = 0; bit < 256; bit++) {
          if (agree(oldSize, newSize, flipBit(oldRoot, bit), newRoot, fromStore, `old root bit ${bit}`))
            throw new Error('flipped old root verifies');
          const newOk = agree(oldSize, newSize, oldRoot, flipBit(newRoot, bit), fromStore, `new root bit ${bit}`);
          if (newOk && oldSize !== 0) throw new Error('flipped new root verifies');
        }
        // Size changes: compare with the reference; record that most fail.
        const olds = new Set([...numberBitFlips(oldSize), ...ODD_NUMBERS, oldSize - 1, oldSize + 1, newSize + 1]);
        for (const m of olds)
          if (m !== oldSize) agree(m, newSize, oldRoot, newRoot, fromStore, `old size ${oldSize} -> ${m}`);
        const news = new Set([...numberBitFlips(newSize), ...ODD_NUMBERS, oldSize, oldSize - 1]);
        for (let n = Math.max(0, newSize - 30); n <= newSize + 30; n++) news.add(n);
        for (const n of news)
          if (n !== newSize) agree(oldSize, n, oldRoot, newRoot, fromStore, `new size ${newSize} -> ${n}`);
        for (const v of [
          fromStore.slice(1),
          fromStore.slice(0, -1),
          [...fromStore, newRoot],
          fromStore.slice().reverse(),
        ]) {
          agree(oldSize, newSize, oldRoot, newRoot, v, 'reshaped proof');
        }
      }),
      { numRuns: 20 },
    );
  });

  it('random pairs of sizes agree with the reference when both sizes change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.nat(),
        fc.integer({ min: 0, max: 700 }),
        fc.integer({ min: 0, max: 700 }),
        (n, seed, m2, n2) => {
          const m = seed % (n + 1);
          const proof = consistencyProof(store, m, n);
          expect(verifyConsistency(m2, n2, ref.root(m), ref.root(n), proof)).toBe(
            refVerifyConsistency(m2, n2, ref.root(m), ref.root(n), proof),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  it('no proof exists from a larger to a smaller tree', () => {
    expect(() => planConsistency(5, 4)).toThrow();
    expect(() => planConsistency(-1, 4)).toThrow();
    expect(planConsistency(0, 4).nodes).toEqual([]);
    expect(planConsistency(4, 4).nodes).toEqual([]);
  });
});
