/**
 * RFC 9162 §2.1.1 hashing: leaves are SHA-256(0x00 || entry), interior nodes
 * SHA-256(0x01 || left || right), and the empty tree hashes to SHA-256("").
 */
import { sha256, sha256Into } from '../crypto/sha256.ts';

export const HASH_SIZE = 32;
export type Hash = Uint8Array;

/** The byte that starts every interior-node hash input. */
export const NODE_PREFIX = 0x01;
/** Length of an interior-node hash input: 0x01 || left || right. */
export const NODE_INPUT_SIZE = 1 + 2 * HASH_SIZE;

export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

// Leaves up to 64 KiB (every fleetlog entry) are framed in one reusable buffer: allocating a
// buffer per leaf costs more than hashing a small entry. Hashing is synchronous, so it is never shared.
const leafScratch = new Uint8Array(1 + 0xffff);

export function leafHash(entry: Uint8Array): Hash {
  if (entry.length < leafScratch.length) {
    leafScratch.set(entry, 1);
    return sha256(leafScratch.subarray(0, 1 + entry.length));
  }
  const buf = new Uint8Array(1 + entry.length);
  buf.set(entry, 1);
  return sha256(buf);
}

// One scratch buffer: hashing is synchronous, so it is never shared between two calls.
const nodeScratch = new Uint8Array(NODE_INPUT_SIZE);
nodeScratch[0] = NODE_PREFIX;

export function nodeHash(left: Hash, right: Hash): Hash {
  const out = new Uint8Array(HASH_SIZE);
  nodeHashInto(left, right, out, 0);
  return out;
}

/**
 * nodeHash written into out[offset, offset + 32) instead of a new array. Hot loops (proof
 * verification) use it because allocating a Uint8Array per node costs about as much as the
 * SHA-256 itself. `out` may be `left` or `right`: the inputs are copied before hashing.
 */
export function nodeHashInto(left: Hash, right: Hash, out: Uint8Array, offset = 0): void {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  sha256Into(nodeScratch, out, offset);
}
