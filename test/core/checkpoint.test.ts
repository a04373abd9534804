// C2SP tlog-checkpoint and tlog-cosignature (cosignature/v1), parsed strictly, and checkpoint trust
// under a policy (core/policy/checkpoint-trust.ts).
import { describe, expect, it } from 'vitest';
import { concatBytes, toBase64, utf8, writeUint64BE } from '../../core/bytes.ts';
import {
  formatCheckpointText,
  MAX_CHECKPOINT_NOTE_BYTES,
  openCheckpoint,
  parseCheckpointNote,
  parseCheckpointText,
  sameCheckpointHead,
  signCheckpoint,
} from '../../core/checkpoint.ts';
import {
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignerFromKey,
  MAX_COSIGNATURE_TIMESTAMP,
} from '../../core/cosignature.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import { appendSignatureLines, formatSignatureLine, openNote } from '../../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { openCheckpointWithPolicy, requireQuorum } from '../../core/policy/checkpoint-trust.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { buildWorld, COSIGN_TIME, fixedKey, ORIGIN } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const ROOT = toBase64(new Uint8Array(32).fill(0xaa));
const logKey = fixedKey('example.com/log', KEY_TYPE_ED25519);
const witness = fixedKey('witness.example/w', KEY_TYPE_COSIGNATURE);
const cp = { origin: 'example.com/log', size: 42, rootHash: new Uint8Array(32).fill(0xaa) };
const signed = signCheckpoint(cp, [ed25519NoteSigner(logKey)]);
const text = formatCheckpointText(cp);
const cosigned = appendSignatureLines(signed, [cosignerFromKey(witness).cosign(utf8(text), 1700000000)]);

describe('checkpoint text', () => {
  it('formats exactly three lines', () => {
    expect(text).toBe(`example.com/log\n42\n${ROOT}\n`);
    expect(parseCheckpointText(text)).toEqual({ ...cp, extensions: [] });
  });

  it('parses extension lines (up to 16) but keeps them opaque', () => {
    const ext = Array.from({ length: 16 }, (_, i) => `ext ${i} \u00e9`);
    expect(parseCheckpointText(`${text}${ext.join('\n')}\n`).extensions).toEqual(ext);
    expect(codeOf(() => parseCheckpointText(`${text}${[...ext, 'one more'].join('\n')}\n`))).toBe('bad_checkpoint');
  });

  it.each([
    ['empty origin', `\n42\n${ROOT}\n`],
    ['missing root line', 'o\n42\n'],
    ['no final newline', `o\n42\n${ROOT}`],
    ['size with a leading zero', `o\n042\n${ROOT}\n`],
    ['size with a sign', `o\n+42\n${ROOT}\n`],
    ['negative size', `o\n-1\n${ROOT}\n`],
    ['size with a space', `o\n 42\n${ROOT}\n`],
    ['size above 2^53 - 1', `o\n9007199254740992\n${ROOT}\n`],
    ['31-byte root', `o\n42\n${toBase64(new Uint8Array(31))}\n`],
    ['33-byte root', `o\n42\n${toBase64(new Uint8Array(33))}\n`],
    ['root without padding', `o\n42\n${ROOT.slice(0, -1)}\n`],
    ['root in hex', `o\n42\n${'aa'.repeat(32)}\n`],
    ['empty extension line', `o\n42\n${ROOT}\n\n`],
    ['CRLF line ends', `o\r\n42\r\n${ROOT}\r\n`],
  ])('rejects %s', (_, t) => {
    expect(codeOf(() => parseCheckpointText(t))).toBe('bad_checkpoint');
  });

  it('accepts the largest safe size and size 0 with the empty root', () => {
    expect(parseCheckpointText(`o\n9007199254740991\n${ROOT}\n`).size).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseCheckpointText(formatCheckpointText({ origin: 'o', size: 0, rootHash: EMPTY_ROOT })).size).toBe(0);
  });

  it('refuses to format an invalid checkpoint', () => {
    expect(codeOf(() => formatCheckpointText({ ...cp, origin: '' }))).toBe('bad_checkpoint');
    expect(codeOf(() => formatCheckpointText({ ...cp, origin: 'a\nb' }))).toBe('bad_checkpoint');
    expect(codeOf(() => formatCheckpointText({ ...cp, size: -1 }))).toBe('bad_checkpoint');
    expect(codeOf(() => formatCheckpointText({ ...cp, size: 1.5 }))).toBe('bad_checkpoint');
    expect(codeOf(() => formatCheckpointText({ ...cp, rootHash: new Uint8Array(31) }))).toBe('bad_checkpoint');
  });

  it('caps the signed checkpoint size', () => {
    const padding = Array.from({ length: 1000 }, (_, i) =>
      formatSignatureLine(`pad${i}.example`, i, new Uint8Array(64)),
    ).join('');
    expect(padding.length).toBeGreaterThan(MAX_CHECKPOINT_NOTE_BYTES);
    expect(codeOf(() => parseCheckpointNote(signed + padding))).toBe('too_large');
  });

  it('compares heads by origin, size and root only', () => {
    const a = parseCheckpointText(text);
    expect(sameCheckpointHead(a, parseCheckpointText(`${text}ext\n`))).toBe(true);
    expect(sameCheckpointHead(a, { ...a, size: 43 })).toBe(false);
    expect(sameCheckpointHead(a, { ...a, rootHash: EMPTY_ROOT })).toBe(false);
  });
});

describe('opening signed checkpoints', () => {
  const vLog = ed25519NoteVerifier(logKey.vkey);
  const vWitness = cosignatureVerifier(witness.vkey);

  it('verifies the log signature and cosignatures together', () => {
    const opened = openCheckpoint(cosigned, [vLog], [vWitness]);
    expect(opened.checkpoint.size).toBe(42);
    expect(opened.note.verified.map((v) => v.verifier.name)).toEqual([logKey.name, witness.name]);
  });

  it('requires the log key name to equal the origin', () => {
    const other = fixedKey('example.com/other-log', KEY_TYPE_ED25519);
    const note = signCheckpoint(cp, [ed25519NoteSigner(other)]);
    expect(codeOf(() => openCheckpoint(note, [ed25519NoteVerifier(other.vkey)]))).toBe('no_trusted_signature');
  });

  it('is not satisfied by cosignatures alone', () => {
    const onlyCosig = `${text}\n${cosigned.slice(cosigned.indexOf(`\u2014 ${witness.name}`))}`;
    expect(codeOf(() => openCheckpoint(onlyCosig, [vLog], [vWitness]))).toBe('no_trusted_signature');
  });

  it('rejects the checkpoint when a known cosigner fails', () => {
    const bad = formatSignatureLine(
      witness.name,
      witness.keyId,
      concatBytes(writeUint64BE(1700000000n), new Uint8Array(64)),
    );
    expect(codeOf(() => openCheckpoint(appendSignatureLines(signed, [bad]), [vLog], [vWitness]))).toBe('bad_signature');
  });
});

describe('cosignature/v1', () => {
  const vWitness = cosignatureVerifier(witness.vkey);
  const line = (timestamp: bigint, message = cosignatureMessage(timestamp, utf8(text))): string =>
    formatSignatureLine(
      witness.name,
      witness.keyId,
      concatBytes(writeUint64BE(timestamp), witness.signer.sign(message)),
    );

  it('signs "cosignature/v1\\ntime <t>\\n" followed by the checkpoint text', () => {
    expect(new TextDecoder().decode(cosignatureMessage(1679315147, utf8(text)))).toBe(
      `cosignature/v1\ntime 1679315147\n${text}`,
    );
  });

  it('reads the big-endian timestamp and refuses malformed signatures', () => {
    expect(cosignatureTimestamp(concatBytes(writeUint64BE(1679315147n), new Uint8Array(64)))).toBe(1679315147n);
    expect(cosignatureTimestamp(concatBytes(writeUint64BE(MAX_COSIGNATURE_TIMESTAMP), new Uint8Array(64)))).toBe(
      MAX_COSIGNATURE_TIMESTAMP,
    );
    expect(cosignatureTimestamp(concatBytes(writeUint64BE(2n ** 63n), new Uint8Array(64)))).toBeUndefined();
    expect(cosignatureTimestamp(new Uint8Array(71))).toBeUndefined();
    expect(cosignatureTimestamp(new Uint8Array(73))).toBeUndefined();
  });

  it('accepts timestamp 2^63 - 1 and rejects a validly signed timestamp above it', () => {
    const ok = appendSignatureLines(signed, [line(MAX_COSIGNATURE_TIMESTAMP)]);
    expect(openNote(ok, [vWitness]).verified).toHaveLength(1);
    const tooBig = appendSignatureLines(signed, [line(2n ** 63n)]);
    expect(codeOf(() => openNote(tooBig, [vWitness]))).toBe('bad_signature');
    const max64 = appendSignatureLines(signed, [line(2n ** 64n - 1n)]);
    expect(codeOf(() => openNote(max64, [vWitness]))).toBe('bad_signature');
  });

  it('rejects a cosignature whose timestamp differs from the signed one', () => {
    const lying = formatSignatureLine(
      witness.name,
      witness.keyId,
      concatBytes(writeUint64BE(1700000001n), witness.signer.sign(cosignatureMessage(1700000000n, utf8(text)))),
    );
    expect(codeOf(() => openNote(appendSignatureLines(signed, [lying]), [vWitness]))).toBe('bad_signature');
  });

  it.each([71, 73, 64, 8])('rejects a cosignature of %i bytes from a known witness', (len) => {
    const bad = formatSignatureLine(witness.name, witness.keyId, new Uint8Array(len));
    expect(codeOf(() => openNote(appendSignatureLines(signed, [bad]), [vWitness]))).toBe('bad_signature');
  });

  it('a plain Ed25519 note signature by the same key is not a cosignature', () => {
    // Same seed as a 0x01 key: another key ID, so the cosigner verifier ignores it.
    const asNoteKey = fixedKey(witness.name, KEY_TYPE_ED25519, witness.name);
    expect(asNoteKey.keyId).not.toBe(witness.keyId);
    const note = signCheckpoint(cp, [ed25519NoteSigner(asNoteKey)]);
    expect(codeOf(() => openNote(note, [vWitness]))).toBe('no_trusted_signature');
  });

  it('only accepts positive integer timestamps when signing, and only 0x04 keys', () => {
    const cosigner = cosignerFromKey(witness);
    for (const t of [0, -1, 1.5, Number.NaN]) expect(codeOf(() => cosigner.cosign(utf8(text), t))).toBe('internal');
    expect(codeOf(() => cosignerFromKey(logKey))).toBe('bad_key');
    expect(codeOf(() => cosignatureVerifier(logKey.vkey))).toBe('bad_key');
  });
});

describe('checkpoint trust under a policy', () => {
  const world = buildWorld();
  const policy = parsePolicy(world.policyText);

  it('names the witnesses that cosigned, with their timestamps, and evaluates the quorum', () => {
    const trusted = openCheckpointWithPolicy(policy, world.checkpoint(9, [0, 2]));
    expect([...trusted.cosigners.entries()]).toEqual([
      ['w1', BigInt(COSIGN_TIME)],
      ['w3', BigInt(COSIGN_TIME)],
    ]);
    expect(trusted.quorumMet).toBe(true);
    expect(requireQuorum(trusted)).toBe(trusted);
    expect(trusted.checkpoint.origin).toBe(ORIGIN);
  });

  it('requireQuorum refuses a checkpoint below the quorum', () => {
    const trusted = openCheckpointWithPolicy(policy, utf8(world.checkpoint(9, [1])));
    expect(trusted.quorumMet).toBe(false);
    expect(codeOf(() => requireQuorum(trusted))).toBe('quorum_not_met');
  });
});
