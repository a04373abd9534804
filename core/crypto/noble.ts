/**
 * Pure-JS backend on @noble/hashes and @noble/ed25519. Used in browsers, and in tests as the
 * reference the native backend must agree with.
 */
import * as ed from '@noble/ed25519';
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes } from '../bytes.ts';
import type { CryptoBackend } from './backend.ts';

ed.hashes.sha512 = sha512;

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndianToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

interface NoblePublicKey {
  bytes: Uint8Array;
  point: ed.Point;
}

export const nobleBackend: CryptoBackend = {
  name: 'noble',
  sha256: (data) => nobleSha256(data),
  sha256Into: (data, out, offset) => out.set(nobleSha256(data), offset),
  preparePublicKey(publicKey): NoblePublicKey {
    return { bytes: publicKey, point: ed.Point.fromBytes(publicKey, false) };
  },
  verify(prepared, message, signature) {
    const key = prepared as NoblePublicKey;
    const r = signature.subarray(0, 32);
    const s = littleEndianToBigint(signature.subarray(32, 64));
    const k = littleEndianToBigint(sha512(concatBytes(r, key.bytes, message))) % L;
    // Cofactorless check, the same equation OpenSSL uses: encode([S]B - [k]A) must equal R.
    const recomputed = ed.Point.BASE.multiply(s, false).subtract(key.point.multiply(k, false));
    return bytesEqual(recomputed.toBytes(), r);
  },
  // A copy: callers may zero their seed once the signer exists (as the native KeyObject allows).
  preparePrivateKey: (seed) => Uint8Array.from(seed),
  sign: (prepared, message) => ed.sign(message, prepared as Uint8Array),
  publicKeyOf: (prepared) => ed.getPublicKey(prepared as Uint8Array),
};

/** Exposed for the Ed25519 acceptance rules, which need point decoding in every environment. */
export function decodeStrictPoint(bytes: Uint8Array): ed.Point {
  return ed.Point.fromBytes(bytes, false);
}
