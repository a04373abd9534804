// Known answers from the Go golang.org/x/mod/sumdb/note tests and C2SP tlog-cosignature; in this
// repository they are KAT in specs/vectors/build-notes.ts and specs/formats.md §2.3.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.ts';
import { openCheckpoint, parseCheckpointText, signCheckpoint } from '../../core/checkpoint.ts';
import { cosignatureVerifier, cosignerFromKey } from '../../core/cosignature.ts';
import { KEY_TYPE_COSIGNATURE, parseSignerKey, parseVerifierKey, formatSignerKey } from '../../core/note/keys.ts';
import { openNote, parseNote, signNote } from '../../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { codeOf } from '../support/error-code.ts';

const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG_LINE =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

const COSIGNER_VKEY = 'witness.example/w1+cc9a7044+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const COSIGNED_TEXT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const COSIG_LINE =
  '\u2014 witness.example/w1 zJpwRAAAAABkGFDLJeR//pqzhnEKVvEm2wWbh2RJ6oru5+cUUfm5X9NnlaGr8aSH9QE5RVZD4QGlxl2F5UpVIIi94p178KLfqPPsAA==\n';

describe('signed-note known answers', () => {
  it('derives the vkey from the skey', () => {
    expect(parseSignerKey(SKEY).vkey).toBe(VKEY);
    expect(parseVerifierKey(VKEY).vkey).toBe(VKEY);
  });

  it('produces the known signature (Ed25519 is deterministic)', () => {
    expect(signNote(TEXT, [ed25519NoteSigner(parseSignerKey(SKEY))])).toBe(`${TEXT}\n${SIG_LINE}`);
  });

  it('verifies the known note and ignores unknown signatures', () => {
    const other = '\u2014 Someone AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
    const opened = openNote(`${TEXT}\n${other}${SIG_LINE}`, [ed25519NoteVerifier(VKEY)]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verified).toHaveLength(1);
  });

  it('rejects a note whose known-key signature fails', () => {
    const tampered = `${TEXT.replace('answer', 'Answer')}\n${SIG_LINE}`;
    expect(codeOf(() => openNote(tampered, [ed25519NoteVerifier(VKEY)]))).toBe('bad_signature');
  });

  it('rejects a note with no known signature', () => {
    const key = parseSignerKey(formatSignerKey('other.example', 1, new Uint8Array(32).fill(7)));
    const note = signNote(TEXT, [ed25519NoteSigner(key)]);
    expect(codeOf(() => openNote(note, [ed25519NoteVerifier(VKEY)]))).toBe('no_trusted_signature');
  });

  it('splits at the last blank line and accepts many signature lines', () => {
    const text = 'a\n\nb\n';
    const signer = ed25519NoteSigner(parseSignerKey(SKEY));
    const signed = signNote(text, [signer]);
    const unknown = Array.from(
      { length: 20 },
      (_, i) => `\u2014 unknown${i} AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`,
    ).join('');
    const opened = openNote(signed + unknown, [ed25519NoteVerifier(VKEY)]);
    expect(opened.text).toBe(text);
    expect(opened.signatures).toHaveLength(21);
  });

  it.each([
    ['no trailing newline', `${TEXT}\n${SIG_LINE.slice(0, -1)}`],
    ['no blank line', `${TEXT}${SIG_LINE}`],
    ['ASCII hyphen instead of em dash', `${TEXT}\n${SIG_LINE.replace('\u2014', '-')}`],
    ['control character', `${TEXT.replace('If', 'I\u0007f')}\n${SIG_LINE}`],
    ['carriage return', `${TEXT.replace('\n', '\r\n')}\n${SIG_LINE}`],
    ['non-canonical base64', `${TEXT}\n${SIG_LINE.replace('AM=', 'AN=')}`],
    ['empty signature block', `${TEXT}\n\n`],
  ])('rejects a malformed note: %s', (_, note) => {
    expect(codeOf(() => parseNote(note))).toMatch(/^bad_(note|encoding)$/);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = utf8(`${TEXT}\n${SIG_LINE}`);
    bytes[3] = 0xff;
    expect(codeOf(() => parseNote(bytes))).toBe('bad_encoding');
  });

  it.each([
    ['missing part', 'PeterNeumann+c74f20a3'],
    ['wrong key id', 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['uppercase key id', 'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['unknown type', 'PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['short key', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q='],
    ['empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
  ])('rejects a bad vkey: %s', (_, vkey) => {
    expect(codeOf(() => parseVerifierKey(vkey))).toMatch(/^bad_(key|encoding)$/);
  });
});

describe('cosignature/v1 known answer', () => {
  const seed = parseSignerKey(SKEY);
  it('derives the cosigner vkey with type 0x04', () => {
    const skey = formatSignerKey(
      'witness.example/w1',
      KEY_TYPE_COSIGNATURE,
      new Uint8Array(Buffer.from(SKEY.split('+').slice(4).join('+'), 'base64').subarray(1)),
    );
    const cosigner = cosignerFromKey(parseSignerKey(skey));
    expect(cosigner.vkey).toBe(COSIGNER_VKEY);
    expect(cosigner.cosign(utf8(COSIGNED_TEXT), 1679315147)).toBe(COSIG_LINE);
    expect(seed.name).toBe('PeterNeumann');
  });

  it('verifies the known cosignature and rejects it on another checkpoint', () => {
    const v = cosignatureVerifier(COSIGNER_VKEY);
    const note = `${COSIGNED_TEXT}\n${COSIG_LINE}`;
    expect(openNote(note, [v]).verified).toHaveLength(1);
    expect(codeOf(() => openNote(note.replace('20852163', '20852164'), [v]))).toBe('bad_signature');
  });
});

describe('checkpoints', () => {
  it('parses strictly', () => {
    expect(parseCheckpointText(COSIGNED_TEXT).size).toBe(20852163);
    for (const bad of [
      'o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n',
      '\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=',
      'o\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n',
    ]) {
      expect(
        codeOf(() => parseCheckpointText(bad)),
        JSON.stringify(bad),
      ).toBe('bad_checkpoint');
    }
  });

  it('requires the log key name to equal the origin', () => {
    const key = parseSignerKey(formatSignerKey('log.example/a', 1, new Uint8Array(32).fill(1)));
    const note = signCheckpoint({ origin: 'log.example/b', size: 0, rootHash: new Uint8Array(32) }, [
      ed25519NoteSigner(key),
    ]);
    expect(codeOf(() => openCheckpoint(note, [ed25519NoteVerifier(key.vkey)]))).toBe('no_trusted_signature');
  });
});
