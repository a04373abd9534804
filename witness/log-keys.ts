/**
 * The log keys a witness trusts, as note verifiers. Keys live in the database (so `add-log` and
 * `remove-log` take effect on a running witness at once); parsed verifiers are cached by their
 * vkey string, because preparing an Ed25519 key costs more than a database lookup.
 */
import { FleetlogError } from '../core/errors.ts';
import { KEY_TYPE_ED25519, parseVerifierKey, type PublicKeyInfo } from '../core/note/keys.ts';
import { assertNoteCharacters, type NoteVerifier } from '../core/note/note.ts';
import { ed25519NoteVerifier } from '../core/note/verifiers.ts';
import { utf8 } from '../core/bytes.ts';

const MAX_ORIGIN_BYTES = 1024;

/** A log key for the witness: an Ed25519 note key (type 0x01), the kind C2SP logs sign with. */
export function parseLogVkey(vkey: string): PublicKeyInfo {
  const info = parseVerifierKey(vkey.trim());
  if (info.type !== KEY_TYPE_ED25519) {
    throw new FleetlogError(
      'bad_key',
      `${info.name} is a cosigner key (type 0x04); a log's checkpoints are signed with an Ed25519 note key (type 0x01)`,
    );
  }
  return info;
}

/** An origin is one non-empty checkpoint line (C2SP tlog-checkpoint). */
export function assertOrigin(origin: string): void {
  if (origin.length === 0) throw new FleetlogError('usage', 'the origin must not be empty');
  if (utf8(origin).length > MAX_ORIGIN_BYTES)
    throw new FleetlogError('usage', `the origin is longer than ${MAX_ORIGIN_BYTES} bytes`);
  if (origin.includes('\n')) throw new FleetlogError('usage', 'the origin must be a single line');
  try {
    assertNoteCharacters(origin, 'origin');
  } catch {
    throw new FleetlogError('usage', 'the origin contains a control character');
  }
}

export class LogKeyCache {
  readonly #verifiers = new Map<string, NoteVerifier>();

  verifiers(vkeys: readonly string[]): NoteVerifier[] {
    return vkeys.map((vkey) => {
      let v = this.#verifiers.get(vkey);
      if (v === undefined) {
        v = ed25519NoteVerifier(parseLogVkey(vkey));
        this.#verifiers.set(vkey, v);
      }
      return v;
    });
  }
}
