/**
 * RFC 9162 §2.1.1 hashing: leaves are SHA-256(0x00 || entry), interior nodes
 * SHA-256(0x01 || left || right), and the empty tree hashes to SHA-256("").
 */
import { sha256 } from '../crypto/sha256.ts';

export const HASH_SIZE = 32;
export type Hash = Uint8Array;

export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

export function leafHash(entry: Uint8Array): Hash {
  const buf = new Uint8Array(1 + entry.length);
  buf[0] = 0x00;
  buf.set(entry, 1);
  return sha256(buf);
}

// One scratch buffer: hashing is synchronous, so it is never shared between two calls.
const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = 0x01;

export function nodeHash(left: Hash, right: Hash): Hash {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return sha256(nodeScratch);
}
