/**
 * Checkpoints (C2SP tlog-checkpoint): the note text "<origin>\n<size>\n<base64 root>\n" plus
 * optional extension lines, which we parse (others may emit them) but never write.
 */
import { bytesEqual, fromBase64, toBase64 } from './bytes.ts';
import { parseDecimal } from './decimal.ts';
import { FleetlogError, isFleetlogError } from './errors.ts';
import { HASH_SIZE, type Hash } from './merkle/hash.ts';
import { formatKeyId } from './note/keys.ts';
import {
  parseNote,
  verifyNote,
  signNote,
  type NoteSigner,
  type NoteVerifier,
  type ParsedNote,
  type VerifiedNote,
} from './note/note.ts';

/** A checkpoint note is capped well below the generic note limit: 3 short lines and signatures. */
export const MAX_CHECKPOINT_NOTE_BYTES = 48 * 1024;
const MAX_EXTENSION_LINES = 16;

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Hash;
  /** Opaque extension lines (without newlines), as found; empty for checkpoints fleetlog signs. */
  readonly extensions: readonly string[];
}

function bad(message: string): never {
  throw new FleetlogError('bad_checkpoint', message);
}

/** Parses checkpoint note text strictly: canonical size, exactly 32-byte root, non-empty lines. */
export function parseCheckpointText(text: string): Checkpoint {
  if (!text.endsWith('\n')) bad('checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) bad('checkpoint text needs origin, size and root hash lines');
  if (lines.length > 3 + MAX_EXTENSION_LINES) bad(`checkpoint has more than ${MAX_EXTENSION_LINES} extension lines`);
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) bad('checkpoint origin is empty');
  if (extensions.some((l) => l.length === 0)) bad('checkpoint extension lines must be non-empty');
  let size: number;
  let rootHash: Uint8Array;
  try {
    size = parseDecimal(sizeLine, 'checkpoint tree size');
    rootHash = fromBase64(rootLine, HASH_SIZE, 'checkpoint root hash');
  } catch (e) {
    bad((e as Error).message);
  }
  return { origin, size, rootHash, extensions };
}

export function formatCheckpointText(cp: Pick<Checkpoint, 'origin' | 'size' | 'rootHash'>): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) bad('checkpoint origin must be one non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) bad('checkpoint size must be a non-negative integer');
  if (cp.rootHash.length !== HASH_SIZE) bad('checkpoint root hash must be 32 bytes');
  return `${cp.origin}\n${cp.size}\n${toBase64(cp.rootHash)}\n`;
}

export function signCheckpoint(
  cp: Pick<Checkpoint, 'origin' | 'size' | 'rootHash'>,
  signers: readonly NoteSigner[],
): string {
  return signNote(formatCheckpointText(cp), signers);
}

export interface ParsedCheckpointNote {
  readonly checkpoint: Checkpoint;
  readonly note: ParsedNote;
}

/** Parses a signed checkpoint without verifying any signature. */
export function parseCheckpointNote(input: Uint8Array | string): ParsedCheckpointNote {
  const note = parseNote(input, MAX_CHECKPOINT_NOTE_BYTES);
  return { checkpoint: parseCheckpointText(note.text), note };
}

export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: VerifiedNote;
}

/**
 * Verifies a signed checkpoint under a log's key(s). The log's key name must equal the origin (a
 * key for another origin cannot vouch for this log). Other verifiers (cosigners) may be passed too;
 * any known key whose signature fails rejects the note.
 */
export function openCheckpoint(
  input: Uint8Array | string,
  logVerifiers: readonly NoteVerifier[],
  otherVerifiers: readonly NoteVerifier[] = [],
): VerifiedCheckpoint {
  const { checkpoint, note } = parseCheckpointNote(input);
  const forOrigin = logVerifiers.filter((v) => v.name === checkpoint.origin);
  if (forOrigin.length === 0) {
    throw new FleetlogError(
      'no_trusted_signature',
      `no trusted log key is named for origin ${JSON.stringify(checkpoint.origin)}`,
    );
  }
  let verified: VerifiedNote | undefined;
  try {
    verified = verifyNote(note, [...forOrigin, ...otherVerifiers]);
  } catch (e) {
    if (!isFleetlogError(e, 'no_trusted_signature')) throw e; // say below which key was missing
  }
  if (!verified?.verified.some((v) => forOrigin.includes(v.verifier))) {
    // Name both sides: the key IDs the policy trusts for this origin and those the note was signed with.
    const expected = forOrigin.map((v) => formatKeyId(v.keyId)).join(', ');
    const found = note.signatures.filter((s) => s.name === checkpoint.origin).map((s) => formatKeyId(s.keyId));
    throw new FleetlogError(
      'no_trusted_signature',
      `checkpoint for ${checkpoint.origin} carries no signature from the log's key: expected key ID ${expected}, found ${found.length ? `key ID ${found.join(', ')}` : 'no signature by that name'}`,
    );
  }
  return { checkpoint, note: verified };
}

export function sameCheckpointHead(a: Checkpoint, b: Checkpoint): boolean {
  return a.origin === b.origin && a.size === b.size && bytesEqual(a.rootHash, b.rootHash);
}
