/**
 * Native backend on node:crypto (OpenSSL). SHA-256 and Ed25519 verify are an order of magnitude
 * faster than pure JS. Loaded lazily so the core still runs where node:crypto does not exist.
 */
import type * as NodeCrypto from 'node:crypto';
import type { CryptoBackend } from './backend.ts';

// DER prefixes that wrap raw Ed25519 keys as SPKI / PKCS#8 (RFC 8410).
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length);
  der.set(prefix, 0);
  der.set(key, prefix.length);
  return der;
}

/**
 * Digests come back as 'binary' (latin1) strings, one char per byte, copied into the caller's
 * bytes. On Node 20, crypto.hash's 'buffer' output allocates an external ArrayBuffer per call,
 * which costs about three times the SHA-256 of a 65-byte Merkle node; the string and this copy
 * cost little.
 */
function writeLatin1(digest: string, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 32; i += 4) {
    out[offset + i] = digest.charCodeAt(i);
    out[offset + i + 1] = digest.charCodeAt(i + 1);
    out[offset + i + 2] = digest.charCodeAt(i + 2);
    out[offset + i + 3] = digest.charCodeAt(i + 3);
  }
}

export function createNativeBackend(crypto: typeof NodeCrypto): CryptoBackend {
  const toBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);
  return {
    name: 'node',
    sha256(data) {
      const out = new Uint8Array(32);
      writeLatin1(crypto.hash('sha256', data, 'binary'), out, 0);
      return out;
    },
    sha256Into: (data, out, offset) => writeLatin1(crypto.hash('sha256', data, 'binary'), out, offset),
    preparePublicKey: (publicKey) =>
      crypto.createPublicKey({ key: withPrefix(SPKI_PREFIX, publicKey), format: 'der', type: 'spki' }),
    verify: (prepared, message, signature) => crypto.verify(null, message, prepared as NodeCrypto.KeyObject, signature),
    preparePrivateKey: (seed) =>
      crypto.createPrivateKey({ key: withPrefix(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' }),
    sign: (prepared, message) => toBytes(crypto.sign(null, message, prepared as NodeCrypto.KeyObject)),
    publicKeyOf(prepared) {
      const spki = crypto.createPublicKey(prepared as NodeCrypto.KeyObject).export({ format: 'der', type: 'spki' });
      return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
    },
  };
}
