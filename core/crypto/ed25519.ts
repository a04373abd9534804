/**
 * Ed25519 with one set of acceptance rules for every backend, so that a witness, a log and an
 * auditor can never disagree on whether a signature is valid.
 *
 * The rules (fleetlog "strict" Ed25519; see specs/formats.md §Ed25519):
 *   1. The public key A is a canonical encoding (y < p; no "negative zero" x) of a point that is
 *      not of small order. Checked once, when the key is loaded.
 *   2. S is canonical: S < L.
 *   3. The cofactorless equation of RFC 8032 §5.1.7: encode([S]B - [k]A) == R, byte for byte,
 *      which also rejects any non-canonical R.
 * This is RFC 8032 verification plus the small-order key rejection that libsodium applies. It is
 * what OpenSSL implements for rules 2 and 3; rule 1 runs in JS before OpenSSL sees the key.
 */
import { FleetlogError } from '../errors.ts';
import type { CryptoBackend } from './backend.ts';
import { decodeStrictPoint } from './noble.ts';
import { backend as defaultBackend } from './select.ts';

export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;
export const ED25519_SEED_LENGTH = 32;

/** Returns why `publicKey` is unusable under rule 1, or undefined if it is acceptable. */
export function publicKeyProblem(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return `must be 32 bytes, got ${publicKey.length}`;
  let point: ReturnType<typeof decodeStrictPoint>;
  try {
    point = decodeStrictPoint(publicKey);
  } catch {
    return 'is not a canonical encoding of a curve point';
  }
  if (point.isSmallOrder()) return 'is a point of small order';
  return undefined;
}

/** L, little-endian: the group order; S must be below it (rule 2). */
const L_BYTES = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

export function isCanonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = L_BYTES[i]!;
    if (s < l) return true;
    if (s > l) return false;
  }
  return false; // S == L
}

/** A verified-usable Ed25519 public key. Construction enforces rule 1. */
export class Ed25519PublicKey {
  readonly bytes: Uint8Array;
  readonly #prepared = new Map<string, unknown>();

  constructor(bytes: Uint8Array) {
    const problem = publicKeyProblem(bytes);
    if (problem) throw new FleetlogError('bad_key', `Ed25519 public key ${problem}`);
    this.bytes = Uint8Array.from(bytes);
  }

  /** Returns true only if `signature` is valid for `message` under the rules above. Never throws. */
  verify(message: Uint8Array, signature: Uint8Array, backend: CryptoBackend = defaultBackend): boolean {
    if (signature.length !== ED25519_SIGNATURE_LENGTH || !isCanonicalS(signature)) return false;
    let prepared = this.#prepared.get(backend.name);
    if (prepared === undefined) {
      prepared = backend.preparePublicKey(this.bytes);
      this.#prepared.set(backend.name, prepared);
    }
    try {
      return backend.verify(prepared, message, signature);
    } catch {
      return false;
    }
  }
}

/**
 * An Ed25519 private key. The seed is held in a private field: it is not enumerable, not in JSON,
 * and not shown by util.inspect, so logging a signer cannot leak it.
 */
export class Ed25519Signer {
  readonly publicKey: Ed25519PublicKey;
  readonly #prepared: unknown;
  readonly #backend: CryptoBackend;

  constructor(seed: Uint8Array, backend: CryptoBackend = defaultBackend) {
    if (seed.length !== ED25519_SEED_LENGTH)
      throw new FleetlogError('bad_key', `Ed25519 seed must be 32 bytes, got ${seed.length}`);
    this.#backend = backend;
    this.#prepared = backend.preparePrivateKey(seed);
    this.publicKey = new Ed25519PublicKey(backend.publicKeyOf(this.#prepared));
  }

  sign(message: Uint8Array): Uint8Array {
    return this.#backend.sign(this.#prepared, message);
  }

  toJSON(): { type: string } {
    return { type: 'Ed25519Signer' };
  }
}

/** 32 bytes from a CSPRNG (Web Crypto exists in Node 20 and browsers). */
export function randomSeed(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(ED25519_SEED_LENGTH));
}
