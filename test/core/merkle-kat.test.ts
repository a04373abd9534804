// Known answers from RFC 9162 / transparency-dev's merkle test data; in this repository they are
// KAT_ENTRIES in specs/vectors/build-merkle.ts and the "published known answer" cases of specs/vectors/merkle.json.
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../core/bytes.ts';
import { EMPTY_ROOT, leafHash } from '../../core/merkle/hash.ts';
import { assembleProof, planConsistency, planInclusion, type SyncHashReader } from '../../core/merkle/proof-plan.ts';
import { Frontier, rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (h) => fromHex(h),
);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: Array<[number, number, string[]]> = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
];
const CONSISTENCY: Array<[number, number, string[]]> = [
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [4, 8, ['6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
];

const hashes = LEAVES.map(leafHash);
const root = (n: number) => fromHex(ROOTS[n - 1]!);

const storeOf = (n: number): SyncHashReader => new MemoryHashStore(hashes.slice(0, n));

describe('Merkle tree known answers', () => {
  it('hashes the empty tree to SHA-256("")', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(rootOfLeafHashes([]))).toBe(toHex(EMPTY_ROOT));
  });

  it.each(ROOTS.map((r, i) => [i + 1, r] as const))('root of %i leaves', (n, expected) => {
    expect(toHex(rootOfLeafHashes(hashes.slice(0, n)))).toBe(expected);
    const f = Frontier.empty();
    for (const h of hashes.slice(0, n)) f.append(h);
    expect(toHex(f.root())).toBe(expected);
  });

  it.each(INCLUSION)('inclusion proof for index %i in size %i', (index, size, expected) => {
    const reader = storeOf(size);
    const plan = planInclusion(index, size);
    const proof = assembleProof(plan, reader.readNodes(plan.nodes));
    expect(proof.map(toHex)).toEqual(expected);
    expect(verifyInclusion(index, size, hashes[index]!, proof, root(size))).toBe(true);
    expect(toHex(rootFromInclusionProof(index, size, hashes[index]!, proof)!)).toBe(ROOTS[size - 1]);
  });

  it.each(CONSISTENCY)('consistency proof from %i to %i', (m, n, expected) => {
    const reader = storeOf(n);
    const plan = planConsistency(m, n);
    const proof = assembleProof(plan, reader.readNodes(plan.nodes));
    expect(proof.map(toHex)).toEqual(expected);
    expect(verifyConsistency(m, n, root(m), root(n), proof)).toBe(true);
  });
});

describe('Merkle verification edge cases (RFC 9162 §2.1.3.2, §2.1.4.2)', () => {
  const proof58 = INCLUSION[1]![2].map((h) => fromHex(h));
  it('rejects index >= size', () => {
    expect(verifyInclusion(8, 8, hashes[5]!, proof58, root(8))).toBe(false);
    expect(verifyInclusion(0, 0, hashes[0]!, [], EMPTY_ROOT)).toBe(false);
  });
  it('rejects a proof that is too long or too short', () => {
    expect(verifyInclusion(5, 8, hashes[5]!, proof58.slice(0, 2), root(8))).toBe(false);
    expect(verifyInclusion(5, 8, hashes[5]!, [...proof58, proof58[0]!], root(8))).toBe(false);
  });
  it('accepts a single-leaf tree with an empty proof', () => {
    expect(verifyInclusion(0, 1, hashes[0]!, [], root(1))).toBe(true);
  });
  it('rejects size1 > size2', () => {
    expect(verifyConsistency(8, 6, root(8), root(6), [])).toBe(false);
  });
  it('requires an empty proof and equal roots when sizes are equal', () => {
    expect(verifyConsistency(5, 5, root(5), root(5), [])).toBe(true);
    expect(verifyConsistency(5, 5, root(5), root(6), [])).toBe(false);
    expect(verifyConsistency(5, 5, root(5), root(5), [root(1)])).toBe(false);
  });
  it('treats size1 == 0 as nothing to prove (empty proof only)', () => {
    expect(verifyConsistency(0, 8, EMPTY_ROOT, root(8), [])).toBe(true);
    expect(verifyConsistency(0, 8, EMPTY_ROOT, root(8), [root(1)])).toBe(false);
    expect(verifyConsistency(0, 8, root(1), root(8), [])).toBe(false);
  });
  it('rejects an empty proof between different sizes', () => {
    expect(verifyConsistency(4, 8, root(4), root(8), [])).toBe(false);
  });
  it('rejects proofs with wrong-length hashes', () => {
    expect(verifyInclusion(5, 8, hashes[5]!, [proof58[0]!.subarray(0, 31), proof58[1]!, proof58[2]!], root(8))).toBe(
      false,
    );
  });
});
