/**
 * The symmetric and key-agreement primitives the simulated HSMs use, all from node:crypto:
 * AES-256-GCM (sealing vault values, wrapping backup keys), HKDF-SHA256, HMAC-SHA256 (peer
 * message authentication) and X25519 (sealing fleet secrets to another attested HSM).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { FleetlogError } from '../../core/errors.ts';
import { utf8 } from '../../core/bytes.ts';

const NONCE = 12;
const TAG = 16;

export function randomKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

export function hkdf(ikm: Uint8Array, info: string, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), utf8(info), length));
}

export function hmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(message).digest());
}

export function hmacEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** nonce || ciphertext || tag. */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

/** Throws `forbidden` if the box was not sealed with this key and AAD. */
export function aeadOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array, what = 'sealed data'): Uint8Array {
  if (sealed.length < NONCE + TAG) throw new FleetlogError('forbidden', `${what} is too short to be sealed`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    return new Uint8Array(
      Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]),
    );
  } catch {
    throw new FleetlogError('forbidden', `${what} does not open: wrong key or tampered`);
  }
}

export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: Uint8Array;
}

export function x25519KeyPair(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: rawX25519(publicKey) };
}

function rawX25519(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
}

export function x25519Agree(privateKey: KeyObject, peerPublic: Uint8Array): Uint8Array {
  if (peerPublic.length !== 32) throw new FleetlogError('bad_key', 'an X25519 public key is 32 bytes');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublic).toString('base64url') },
    format: 'jwk',
  });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}
