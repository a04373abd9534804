/**
 * Note verifiers and signers for plain Ed25519 note signatures (type 0x01): the signature is over
 * the note text itself. Cosignatures (type 0x04) sign a different message; see cosignature.ts.
 */
import { FleetlogError } from '../errors.ts';
import { KEY_TYPE_ED25519, parseVerifierKey, type PublicKeyInfo, type SignerKey } from './keys.ts';
import type { NoteSigner, NoteVerifier } from './note.ts';

export interface Ed25519NoteVerifier extends NoteVerifier {
  readonly key: PublicKeyInfo;
}

export function ed25519NoteVerifier(key: PublicKeyInfo | string): Ed25519NoteVerifier {
  const info = typeof key === 'string' ? parseVerifierKey(key) : key;
  if (info.type !== KEY_TYPE_ED25519)
    throw new FleetlogError('bad_key', `${info.name} is not an Ed25519 note key (type 0x01)`);
  return {
    name: info.name,
    keyId: info.keyId,
    key: info,
    verify: (text, signature) => info.publicKey.verify(text, signature),
  };
}

export function ed25519NoteSigner(key: SignerKey): NoteSigner {
  if (key.type !== KEY_TYPE_ED25519)
    throw new FleetlogError('bad_key', `${key.name} is not an Ed25519 note key (type 0x01)`);
  return { name: key.name, keyId: key.keyId, sign: (text) => key.signer.sign(text) };
}
