/**
 * Signed-note keys (C2SP signed-note): key names, key IDs, and the vkey / skey string forms.
 *
 *   key ID = SHA-256(name || 0x0A || type || public key)[:4]
 *   vkey   = <name>+<8 hex key ID>+<base64(type || public key)>
 *   skey   = PRIVATE+KEY+<name>+<8 hex key ID>+<base64(type || 32-byte seed)>
 *
 * Type 0x01 is an Ed25519 note signature (logs, fleet publishers); 0x04 is a timestamped Ed25519
 * cosignature (witnesses, C2SP tlog-cosignature). fleetlog writes witness skeys with type 0x04, so
 * the key ID in the skey is the witness's cosigner key ID.
 */
import { concatBytes, fromBase64, readUint32BE, toBase64, utf8 } from '../bytes.ts';
import { Ed25519PublicKey, Ed25519Signer, randomSeed } from '../crypto/ed25519.ts';
import { sha256 } from '../crypto/sha256.ts';
import { FleetlogError } from '../errors.ts';

export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE = 0x04;
export type KeyType = typeof KEY_TYPE_ED25519 | typeof KEY_TYPE_COSIGNATURE;

const MAX_KEY_NAME_BYTES = 256;

/** Why `name` cannot be a key name, or undefined: non-empty, no spaces, no '+', no controls. */
export function keyNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (utf8(name).length > MAX_KEY_NAME_BYTES) return `is longer than ${MAX_KEY_NAME_BYTES} bytes`;
  if (name.includes('+')) return "contains '+'";
  if (/[\s\p{Cc}\p{Zs}]/u.test(name)) return 'contains a space or control character';
  return undefined;
}

export function assertKeyName(name: string): void {
  const problem = keyNameProblem(name);
  if (problem) throw new FleetlogError('bad_key', `key name ${JSON.stringify(name.slice(0, 64))} ${problem}`);
}

export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  return readUint32BE(sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, type), publicKey)));
}

export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function parseKeyId(hex: string, what: string): number {
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new FleetlogError('bad_key', `${what} key ID must be 8 lowercase hex digits`);
  return parseInt(hex, 16);
}

/** A public key as named in notes and policies. */
export interface PublicKeyInfo {
  readonly name: string;
  readonly keyId: number;
  readonly type: KeyType;
  readonly publicKey: Ed25519PublicKey;
  /** The canonical vkey string. */
  readonly vkey: string;
}

export function formatVerifierKey(name: string, type: KeyType, publicKey: Uint8Array): string {
  assertKeyName(name);
  return `${name}+${formatKeyId(computeKeyId(name, type, publicKey))}+${toBase64(concatBytes(Uint8Array.of(type), publicKey))}`;
}

/** Parses a vkey, checking the key ID matches and the key is usable. Only types 0x01 and 0x04. */
export function parseVerifierKey(vkey: string): PublicKeyInfo {
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new FleetlogError('bad_key', 'a vkey has the form <name>+<key ID>+<base64 key>');
  const name = vkey.slice(0, first);
  assertKeyName(name);
  const keyId = parseKeyId(vkey.slice(first + 1, second), 'vkey');
  const material = fromBase64(vkey.slice(second + 1), undefined, 'vkey key material');
  const type = material[0];
  if (type !== KEY_TYPE_ED25519 && type !== KEY_TYPE_COSIGNATURE) {
    throw new FleetlogError(
      'bad_key',
      `vkey ${name} has unsupported key type 0x${(type ?? 0).toString(16).padStart(2, '0')} (fleetlog supports 0x01 Ed25519 and 0x04 Ed25519 cosignatures)`,
    );
  }
  const raw = material.subarray(1);
  if (raw.length !== 32)
    throw new FleetlogError('bad_key', `vkey ${name} must carry a 32-byte Ed25519 key, got ${raw.length} bytes`);
  if (computeKeyId(name, type, raw) !== keyId)
    throw new FleetlogError('bad_key', `vkey ${name} has a key ID that does not match its key`);
  return { name, keyId, type, publicKey: new Ed25519PublicKey(raw), vkey: formatVerifierKey(name, type, raw) };
}

/** A private signing key with its name, as loaded from an skey. */
export interface SignerKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: KeyType;
  readonly signer: Ed25519Signer;
  readonly vkey: string;
}

function signerFromSeed(name: string, type: KeyType, seed: Uint8Array): SignerKey {
  assertKeyName(name);
  const signer = new Ed25519Signer(seed);
  const pub = signer.publicKey.bytes;
  return { name, type, signer, keyId: computeKeyId(name, type, pub), vkey: formatVerifierKey(name, type, pub) };
}

export function parseSignerKey(skey: string): SignerKey {
  const text = skey.trim();
  const parts = text.split('+');
  // PRIVATE, KEY, name, id, then base64 (which may itself contain '+').
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new FleetlogError('bad_key', 'an skey has the form PRIVATE+KEY+<name>+<key ID>+<base64 seed>');
  }
  const name = parts[2]!;
  const keyId = parseKeyId(parts[3]!, 'skey');
  const material = fromBase64(parts.slice(4).join('+'), 33, 'skey key material');
  const type = material[0];
  if (type !== KEY_TYPE_ED25519 && type !== KEY_TYPE_COSIGNATURE)
    throw new FleetlogError('bad_key', 'skey has an unsupported key type');
  const key = signerFromSeed(name, type, material.subarray(1));
  if (key.keyId !== keyId) throw new FleetlogError('bad_key', `skey ${name} has a key ID that does not match its key`);
  return key;
}

/** Serialises a seed as an skey. Only for writing key files (mode 0600); never log the result. */
export function formatSignerKey(name: string, type: KeyType, seed: Uint8Array): string {
  const key = signerFromSeed(name, type, seed);
  return `PRIVATE+KEY+${name}+${formatKeyId(key.keyId)}+${toBase64(concatBytes(Uint8Array.of(type), seed))}`;
}

/** A fresh key pair: the skey to store and the vkey to publish. */
export function generateKey(name: string, type: KeyType): { skey: string; vkey: string } {
  const seed = randomSeed();
  const skey = formatSignerKey(name, type, seed);
  seed.fill(0);
  return { skey, vkey: parseSignerKey(skey).vkey };
}
