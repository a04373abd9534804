/**
 * Witness cosignatures (C2SP tlog-cosignature, cosignature/v1, key type 0x04).
 *
 *   signed message = "cosignature/v1\ntime <timestamp>\n" || checkpoint note text
 *   signature      = u64 big-endian timestamp || Ed25519 signature (72 bytes)
 * Meaning: as of <timestamp>, this is the largest tree for the origin the witness verified.
 */
import { concatBytes, readUint64BE, utf8, writeUint64BE } from './bytes.ts';
import { FleetlogError } from './errors.ts';
import { KEY_TYPE_COSIGNATURE, parseVerifierKey, type PublicKeyInfo, type SignerKey } from './note/keys.ts';
import { formatSignatureLine, type NoteVerifier } from './note/note.ts';

export const COSIGNATURE_LENGTH = 8 + 64;
export const MAX_COSIGNATURE_TIMESTAMP = 2n ** 63n - 1n;

export function cosignatureMessage(timestamp: bigint | number, checkpointText: Uint8Array): Uint8Array {
  return concatBytes(utf8(`cosignature/v1\ntime ${BigInt(timestamp)}\n`), checkpointText);
}

/** The timestamp inside a cosignature, or undefined if the signature is malformed. */
export function cosignatureTimestamp(signature: Uint8Array): bigint | undefined {
  if (signature.length !== COSIGNATURE_LENGTH) return undefined;
  const t = readUint64BE(signature);
  return t > MAX_COSIGNATURE_TIMESTAMP ? undefined : t;
}

export interface CosignatureVerifier extends NoteVerifier {
  readonly key: PublicKeyInfo;
}

export function cosignatureVerifier(key: PublicKeyInfo | string): CosignatureVerifier {
  const info = typeof key === 'string' ? parseVerifierKey(key) : key;
  if (info.type !== KEY_TYPE_COSIGNATURE)
    throw new FleetlogError('bad_key', `${info.name} is not a cosigner key (type 0x04)`);
  return {
    name: info.name,
    keyId: info.keyId,
    key: info,
    verify(text, signature) {
      const timestamp = cosignatureTimestamp(signature);
      if (timestamp === undefined) return false;
      return info.publicKey.verify(cosignatureMessage(timestamp, text), signature.subarray(8));
    },
  };
}

/** A witness's signing side. `timestamp` is seconds since the epoch, from the witness's own clock. */
export interface Cosigner {
  readonly name: string;
  readonly keyId: number;
  readonly vkey: string;
  /** Returns the full signature line (with newline) for `checkpointText`. */
  cosign(checkpointText: Uint8Array, timestamp: number): string;
}

export function cosignerFromKey(key: SignerKey): Cosigner {
  if (key.type !== KEY_TYPE_COSIGNATURE)
    throw new FleetlogError('bad_key', `${key.name} is not a cosigner key (type 0x04)`);
  return {
    name: key.name,
    keyId: key.keyId,
    vkey: key.vkey,
    cosign(checkpointText, timestamp) {
      if (!Number.isSafeInteger(timestamp) || timestamp <= 0)
        throw new FleetlogError('internal', 'cosignature timestamp must be a positive integer');
      const signature = key.signer.sign(cosignatureMessage(timestamp, checkpointText));
      return formatSignatureLine(key.name, key.keyId, concatBytes(writeUint64BE(BigInt(timestamp)), signature));
    },
  };
}
