/**
 * The primitive operations fleetlog needs, behind one small interface with two implementations:
 * native `node:crypto` (OpenSSL; the fast path in Node) and `@noble` (pure JS; browsers).
 *
 * Backends only compute. The Ed25519 acceptance rules (which keys and signatures are valid at all)
 * live in ed25519.ts and run before either backend, so the two can never disagree on an edge case.
 */
export interface CryptoBackend {
  readonly name: 'node' | 'noble';
  sha256(data: Uint8Array): Uint8Array;
  /** SHA-256 of `data` written to out[offset, offset + 32): the allocation-free form for hot loops. */
  sha256Into(data: Uint8Array, out: Uint8Array, offset: number): void;
  /** A backend-specific handle for a public key that already passed `checkPublicKey`. */
  preparePublicKey(publicKey: Uint8Array): unknown;
  /**
   * RFC 8032 §5.1.7 verification with the cofactorless equation, comparing the recomputed R
   * byte for byte with the signature's R. Called only with a prepared key and S < L.
   */
  verify(prepared: unknown, message: Uint8Array, signature: Uint8Array): boolean;
  /** A backend-specific handle for a 32-byte seed (RFC 8032 private key). */
  preparePrivateKey(seed: Uint8Array): unknown;
  sign(prepared: unknown, message: Uint8Array): Uint8Array;
  /** The 32-byte public key of a prepared private key (no second key derivation from the seed). */
  publicKeyOf(prepared: unknown): Uint8Array;
}
