/**
 * Signed notes (C2SP signed-note): strict parsing, signing and verification.
 *
 * A note is UTF-8 text ending in '\n', a blank line, then signature lines
 * "— <name> <base64(4-byte key ID || signature)>\n". Text and signatures split at the LAST blank
 * line. Verification: a signature counts only if name AND key ID match a known key; unknown
 * signatures are ignored; a known key whose signature fails rejects the whole note; at least one
 * known key must verify; each known key is verified at most once (see verifyNote).
 */
import { concatBytes, decodeUtf8, fromBase64, readUint32BE, toBase64, utf8, writeUint32BE } from '../bytes.ts';
import { FleetlogError } from '../errors.ts';
import { formatKeyId, keyNameProblem } from './keys.ts';

/** Notes larger than this are rejected before parsing (checkpoints with 100 cosignatures fit). */
export const MAX_NOTE_BYTES = 64 * 1024;
/** C2SP requires accepting at least 16 signature lines; we accept up to 256. */
export const MAX_NOTE_SIGNATURES = 256;

const SIG_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
  /** The full line, with its trailing newline, exactly as it appeared. */
  readonly line: string;
}

export interface ParsedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly textBytes: Uint8Array;
  readonly signatures: readonly NoteSignature[];
}

/** Anything that can check a note signature: a log key (0x01) or a cosigner key (0x04). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

function bad(message: string): never {
  throw new FleetlogError('bad_note', message);
}

/**
 * Rejects any C0 control character except '\n' (and DEL), as the signed-note spec requires, and
 * lone surrogates: a JS string can hold them but UTF-8 cannot, so the text a caller sees and the
 * bytes that were signed or verified (with U+FFFD substituted) would differ.
 */
export function assertNoteCharacters(text: string, what = 'note'): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: signed-note forbids them.
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) bad(`${what} contains a control character other than newline`);
  if (/\p{Cs}/u.test(text)) bad(`${what} contains a lone surrogate (not encodable as UTF-8)`);
}

/** Parses one signature line (without its newline). */
export function parseSignatureLine(body: string): NoteSignature {
  if (!body.startsWith(SIG_PREFIX)) bad('a signature line must start with "\u2014 " (U+2014, space)');
  const rest = body.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space <= 0) bad('a signature line is "\u2014 <key name> <base64 signature>"');
  const name = rest.slice(0, space);
  const problem = keyNameProblem(name);
  if (problem) bad(`signature key name ${problem}`);
  let raw: Uint8Array;
  try {
    raw = fromBase64(rest.slice(space + 1), undefined, 'signature');
  } catch {
    bad(`signature by ${name} is not canonical base64`);
  }
  if (raw.length < 5) bad(`signature by ${name} is too short`);
  return { name, keyId: readUint32BE(raw), signature: raw.subarray(4), line: `${body}\n` };
}

/** Parses a note without verifying it. Throws `bad_note` / `bad_encoding` / `too_large`. */
export function parseNote(input: Uint8Array | string, maxBytes = MAX_NOTE_BYTES): ParsedNote {
  const bytes = typeof input === 'string' ? utf8(input) : input;
  if (bytes.length > maxBytes)
    throw new FleetlogError('too_large', `note is ${bytes.length} bytes, more than the ${maxBytes}-byte limit`);
  const all = typeof input === 'string' ? input : decodeUtf8(bytes, 'note');
  assertNoteCharacters(all);
  if (!all.endsWith('\n')) bad('a note must end with a newline');
  const split = all.lastIndexOf('\n\n');
  if (split < 0) bad('a note needs a blank line between the text and the signatures');
  const text = all.slice(0, split + 1);
  if (text.length === 0) bad('note text is empty');
  const sigLines = all.slice(split + 2, -1).split('\n');
  if (sigLines.length > MAX_NOTE_SIGNATURES)
    throw new FleetlogError('too_large', `note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  if (sigLines.length === 1 && sigLines[0] === '') bad('a note needs at least one signature line');
  const signatures = sigLines.map(parseSignatureLine);
  return { text, textBytes: utf8(text), signatures };
}

export interface VerifiedNote extends ParsedNote {
  /** Signatures that matched a known key and verified, one per key, with the key that made them. */
  readonly verified: ReadonlyArray<{ readonly verifier: NoteVerifier; readonly signature: NoteSignature }>;
}

/**
 * Verifies a parsed note against known keys, per the rules above.
 *
 * Each known key is verified at most once per note, so a sender cannot make us check one key's
 * signature 256 times. Lines are matched to keys before anything is verified: a repeat of a known
 * key's line, byte for byte, is the same signature and is skipped (it counts once); a second,
 * DIFFERENT line by the same known key is refused as `bad_signature` without being checked (a
 * signer signs a text once; C2SP signed-note requires every known key's signature to verify, and
 * one of two different signatures by the key is not the one it made). Unknown keys' lines cost
 * nothing and are ignored, repeated or not.
 * Throws `bad_signature` if a known key's signature fails, `no_trusted_signature` if none verified.
 */
export function verifyNote(note: ParsedNote, verifiers: readonly NoteVerifier[]): VerifiedNote {
  const byId = new Map<string, NoteVerifier[]>();
  for (const v of verifiers) {
    const id = `${v.name} ${v.keyId}`;
    byId.set(id, [...(byId.get(id) ?? []), v]);
  }
  const matched = new Map<string, { sig: NoteSignature; known: NoteVerifier[] }>();
  for (const sig of note.signatures) {
    const id = `${sig.name} ${sig.keyId}`;
    const known = byId.get(id);
    if (!known) continue;
    const first = matched.get(id);
    if (first === undefined) matched.set(id, { sig, known });
    else if (first.sig.line !== sig.line)
      throw new FleetlogError(
        'bad_signature',
        `the note carries two different signatures by ${sig.name} (key ${formatKeyId(sig.keyId)}); a key signs a text once`,
      );
  }
  const verified: Array<{ verifier: NoteVerifier; signature: NoteSignature }> = [];
  const seen = new Set<NoteVerifier>();
  for (const { sig, known } of matched.values()) {
    for (const v of known) {
      if (!v.verify(note.textBytes, sig.signature)) {
        throw new FleetlogError(
          'bad_signature',
          `signature by ${sig.name} (key ${formatKeyId(sig.keyId)}) does not verify`,
        );
      }
      if (!seen.has(v)) {
        seen.add(v);
        verified.push({ verifier: v, signature: sig });
      }
    }
  }
  if (verified.length === 0)
    throw new FleetlogError('no_trusted_signature', 'the note has no signature from a trusted key');
  return { ...note, verified };
}

/** Parses and verifies in one step. */
export function openNote(
  input: Uint8Array | string,
  verifiers: readonly NoteVerifier[],
  maxBytes = MAX_NOTE_BYTES,
): VerifiedNote {
  return verifyNote(parseNote(input, maxBytes), verifiers);
}

export function formatSignatureLine(name: string, keyId: number, signature: Uint8Array): string {
  return `${SIG_PREFIX}${name} ${toBase64(concatBytes(writeUint32BE(keyId), signature))}\n`;
}

/** Signs `text` (which must end in '\n' and hold no control characters) with every signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n')) bad('note text must end with a newline');
  assertNoteCharacters(text, 'note text');
  if (signers.length === 0) bad('a note needs at least one signer');
  const bytes = utf8(text);
  return `${text}\n${signers.map((s) => formatSignatureLine(s.name, s.keyId, s.sign(bytes))).join('')}`;
}

/** Appends already-made signature lines to a signed note (e.g. cosignatures a log collected). */
export function appendSignatureLines(signedNote: string, lines: readonly string[]): string {
  return signedNote + lines.join('');
}
