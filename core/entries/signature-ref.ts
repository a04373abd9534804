/**
 * A signature inside an entry, naming its key the way signed notes do (name + key ID), so that it
 * can be matched against the vkeys pinned in a policy without trusting anything in the entry.
 */
import { fromHex, toHex } from '../bytes.ts';
import { formatKeyId, type PublicKeyInfo, type SignerKey } from '../note/keys.ts';
import type { Json } from './canonical-json.ts';
import { hex, KEY_NAME_PATTERN, object, string } from './schema.ts';

export interface SignatureRef {
  readonly name: string;
  /** 8 lowercase hex digits, as in a vkey. */
  readonly keyId: string;
  /** 64-byte Ed25519 signature, lowercase hex. */
  readonly signature: string;
}

export function parseSignatureRef(value: Json | undefined, path: string): SignatureRef {
  const o = object(value, path, ['keyId', 'name', 'signature']);
  return {
    name: string(o.name, `${path}.name`, KEY_NAME_PATTERN),
    keyId: hex(o.keyId, `${path}.keyId`, 4),
    signature: hex(o.signature, `${path}.signature`, 64),
  };
}

export function makeSignatureRef(key: SignerKey, message: Uint8Array): SignatureRef {
  return { name: key.name, keyId: formatKeyId(key.keyId), signature: toHex(key.signer.sign(message)) };
}

/** True if `ref` is by one of `keys` (any key with that name and key ID) and verifies over `message`. */
export function verifySignatureRef(ref: SignatureRef, keys: readonly PublicKeyInfo[], message: Uint8Array): boolean {
  const signature = fromHex(ref.signature, 64);
  return keys.some(
    (k) => k.name === ref.name && formatKeyId(k.keyId) === ref.keyId && k.publicKey.verify(message, signature),
  );
}
