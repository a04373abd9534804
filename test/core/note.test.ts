// C2SP signed-note: strict parsing, the verification rules (known / unknown / failing keys), and
// vkey / skey strings.
import { describe, expect, it } from 'vitest';
import { concatBytes, toBase64, utf8 } from '../../core/bytes.ts';
import {
  computeKeyId,
  formatKeyId,
  formatSignerKey,
  formatVerifierKey,
  generateKey,
  KEY_TYPE_COSIGNATURE,
  KEY_TYPE_ED25519,
  keyNameProblem,
  parseSignerKey,
  parseVerifierKey,
} from '../../core/note/keys.ts';
import {
  appendSignatureLines,
  formatSignatureLine,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  openNote,
  parseNote,
  parseSignatureLine,
  signNote,
  verifyNote,
} from '../../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { fixedKey } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const alice = fixedKey('alice.example/key', KEY_TYPE_ED25519);
const bob = fixedKey('bob.example/key', KEY_TYPE_ED25519);
// Same name as alice, another key: its key ID differs.
const aliceTwin = fixedKey('alice.example/key', KEY_TYPE_ED25519, 'alice twin');
const TEXT = 'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 subito sera.\n';
const signedByAlice = signNote(TEXT, [ed25519NoteSigner(alice)]);
const aliceLine = signedByAlice.slice(signedByAlice.lastIndexOf('\n\n') + 2);
const fakeSig = (name: string, keyId: number): string => formatSignatureLine(name, keyId, new Uint8Array(64).fill(9));

describe('signed-note parsing', () => {
  it('splits at the last blank line: the text may contain blank lines', () => {
    const note = parseNote(signedByAlice);
    expect(note.text).toBe(TEXT);
    expect(note.signatures).toHaveLength(1);
    expect(note.signatures[0]!.name).toBe(alice.name);
    expect(note.signatures[0]!.keyId).toBe(alice.keyId);
    expect(note.signatures[0]!.line).toBe(aliceLine);
  });

  it('parses bytes and strings identically', () => {
    expect(parseNote(utf8(signedByAlice))).toEqual(parseNote(signedByAlice));
  });

  it(`accepts ${MAX_NOTE_SIGNATURES} signature lines (C2SP requires at least 16) and refuses more`, () => {
    const many = Array.from({ length: MAX_NOTE_SIGNATURES - 1 }, (_, i) => fakeSig(`unknown${i}.example`, i)).join('');
    expect(parseNote(signedByAlice + many).signatures).toHaveLength(MAX_NOTE_SIGNATURES);
    expect(codeOf(() => parseNote(signedByAlice + many + fakeSig('one-more.example', 1)))).toBe('too_large');
  });

  it('caps the note size before parsing', () => {
    const big = `${'a'.repeat(MAX_NOTE_BYTES)}\n\n${aliceLine}`;
    expect(codeOf(() => parseNote(big))).toBe('too_large');
    expect(codeOf(() => parseNote(utf8(big)))).toBe('too_large');
  });

  it.each([
    ['no final newline', signedByAlice.slice(0, -1)],
    ['no blank line', signedByAlice.replace('\n\n\u2014', '\n\u2014')],
    ['blank line but no signature', `${TEXT}\n\n`],
    ['a blank line after the signatures', `${signedByAlice}\n`],
    ['hyphen instead of em dash', signedByAlice.replace('\u2014', '-')],
    ['en dash instead of em dash', signedByAlice.replace('\u2014', '\u2013')],
    ['no space after the dash', signedByAlice.replace('\u2014 ', '\u2014')],
    ['two spaces after the name', signedByAlice.replace(`${alice.name} `, `${alice.name}  `)],
    ['empty key name', `${TEXT}\n\u2014  ${aliceLine.split(' ')[2]}`],
    ['key name with +', `${TEXT}\n${fakeSig('a+b', 1)}`],
    ['key name with a no-break space', `${TEXT}\n${fakeSig('a\u00a0b', 1)}`],
    ['signature that is not base64', `${TEXT}\n\u2014 alice.example/key !!!!\n`],
    ['signature with non-canonical base64 padding', `${TEXT}\n\u2014 x AAAAAB==\n`],
    ['signature shorter than a key ID plus one byte', `${TEXT}\n\u2014 x ${toBase64(new Uint8Array(4))}\n`],
    ['carriage return', signedByAlice.replace('terra\n', 'terra\r\n')],
    ['tab', signedByAlice.replace('solo', 'so\tlo')],
    ['NUL', signedByAlice.replace('solo', 'so\u0000lo')],
    ['DEL', signedByAlice.replace('solo', 'so\u007flo')],
    ['escape character in a signature line', `${signedByAlice}\u2014 x\u001b ${toBase64(new Uint8Array(8))}\n`],
    ['a line of text in the signature block', `${signedByAlice}not a signature\n`],
  ])('rejects %s', (_, note) => {
    expect(codeOf(() => parseNote(note))).toMatch(/^bad_(note|encoding)$/);
  });

  it('rejects a string note with a lone surrogate (its text would not be the bytes verified)', () => {
    expect(codeOf(() => parseNote(signedByAlice.replace('sera', 'ser\ud800a')))).toBe('bad_note');
    expect(codeOf(() => signNote('lone \udc00 surrogate\n', [ed25519NoteSigner(alice)]))).toBe('bad_note');
    expect(parseNote(signedByAlice.replace('sera', 'sera \u{1f600}')).text).toContain('\u{1f600}'); // pairs are fine
  });

  it('rejects bytes that are not UTF-8 rather than replacing them', () => {
    const bytes = utf8(signedByAlice);
    bytes[5] = 0xc0;
    expect(codeOf(() => parseNote(bytes))).toBe('bad_encoding');
  });

  it('parses a single signature line', () => {
    const sig = parseSignatureLine(aliceLine.slice(0, -1));
    expect(sig.signature).toHaveLength(64);
    expect(codeOf(() => parseSignatureLine(`- ${alice.name} AAAA`))).toBe('bad_note');
  });
});

describe('signed-note verification rules', () => {
  const vAlice = ed25519NoteVerifier(alice.vkey);
  const vBob = ed25519NoteVerifier(bob.vkey);

  it('accepts a note signed by a known key', () => {
    const opened = openNote(signedByAlice, [vAlice, vBob]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verified.map((v) => v.verifier.name)).toEqual([alice.name]);
  });

  it('ignores a signature that shares only the name with a known key (another key ID)', () => {
    expect(aliceTwin.keyId).not.toBe(alice.keyId);
    const note = appendSignatureLines(signedByAlice, [fakeSig(alice.name, aliceTwin.keyId)]);
    expect(openNote(note, [vAlice]).verified).toHaveLength(1);
    const onlyTwin = signNote(TEXT, [ed25519NoteSigner(aliceTwin)]);
    expect(codeOf(() => openNote(onlyTwin, [vAlice]))).toBe('no_trusted_signature');
  });

  it('ignores a signature that shares only the key ID with a known key (another name)', () => {
    const note = appendSignatureLines(signedByAlice, [fakeSig('mallory.example/key', alice.keyId)]);
    expect(openNote(note, [vAlice]).verified).toHaveLength(1);
    // Alice's real signature bytes under another name do not count either.
    const renamed = signedByAlice.replace(`\u2014 ${alice.name} `, '\u2014 mallory.example/key ');
    expect(codeOf(() => openNote(renamed, [vAlice]))).toBe('no_trusted_signature');
  });

  it('rejects the whole note when a known key (name and key ID match) fails, even next to a good one', () => {
    const bad = fakeSig(alice.name, alice.keyId);
    expect(codeOf(() => openNote(`${TEXT}\n${bad}`, [vAlice]))).toBe('bad_signature');
    expect(codeOf(() => openNote(`${TEXT}\n${bad}${fakeSig('x.example', 1)}`, [vAlice]))).toBe('bad_signature');
    // A bad line next to a good one from the same key, whichever comes first.
    expect(codeOf(() => openNote(appendSignatureLines(signedByAlice, [bad]), [vAlice]))).toBe('bad_signature');
    expect(codeOf(() => openNote(`${TEXT}\n${bad}${aliceLine}`, [vAlice]))).toBe('bad_signature');
    const bobSigned = signNote(TEXT, [ed25519NoteSigner(bob)]);
    const bobLine = bobSigned.slice(bobSigned.lastIndexOf('\n\n') + 2);
    expect(
      codeOf(() => openNote(appendSignatureLines(signedByAlice, [fakeSig(bob.name, bob.keyId)]), [vAlice, vBob])),
    ).toBe('bad_signature');
    expect(openNote(appendSignatureLines(signedByAlice, [bobLine]), [vAlice, vBob]).verified).toHaveLength(2);
  });

  it('rejects a note with no signature from a known key', () => {
    const note = signNote(TEXT, [ed25519NoteSigner(bob)]);
    expect(codeOf(() => openNote(note, [vAlice]))).toBe('no_trusted_signature');
    expect(codeOf(() => openNote(note, []))).toBe('no_trusted_signature');
  });

  it('verifies a known key once however often its line repeats; a different second line is refused unchecked', () => {
    let checks = 0;
    const counting = {
      name: vAlice.name,
      keyId: vAlice.keyId,
      verify: (text: Uint8Array, sig: Uint8Array) => {
        checks++;
        return vAlice.verify(text, sig);
      },
    };
    const flooded = appendSignatureLines(signedByAlice, Array(254).fill(aliceLine));
    expect(openNote(flooded, [counting]).verified).toHaveLength(1);
    expect(checks).toBe(1);
    // Two different lines by alice: refused before either is checked.
    const twoValues = appendSignatureLines(signedByAlice, Array(254).fill(fakeSig(alice.name, alice.keyId)));
    expect(codeOf(() => openNote(twoValues, [counting]))).toBe('bad_signature');
    expect(checks).toBe(1);
    // Repeats of an unknown key are ignored, unverified.
    const withUnknownRepeats = appendSignatureLines(signedByAlice, Array(200).fill(fakeSig('x.example', 1)));
    expect(openNote(withUnknownRepeats, [counting]).verified).toHaveLength(1);
    expect(checks).toBe(2);
  });

  it('any text change invalidates the signature', () => {
    const tampered = signedByAlice.replace('sera', 'Sera');
    expect(codeOf(() => openNote(tampered, [vAlice]))).toBe('bad_signature');
    // Moving the split point (a signature line pulled into the text) changes the signed text.
    const shifted = `${TEXT}\n${aliceLine}\n${fakeSig('x.example', 1)}`;
    expect(codeOf(() => openNote(shifted, [vAlice]))).toBe('no_trusted_signature');
  });

  it('16 known keys all verify', () => {
    const signers = Array.from({ length: 16 }, (_, i) => fixedKey(`signer${i}.example`, KEY_TYPE_ED25519));
    const note = signNote('sixteen\n', signers.map(ed25519NoteSigner));
    const opened = verifyNote(
      parseNote(note),
      signers.map((s) => ed25519NoteVerifier(s.vkey)),
    );
    expect(opened.verified).toHaveLength(16);
  });

  it('signNote refuses text that cannot be a note', () => {
    expect(codeOf(() => signNote('no newline', [ed25519NoteSigner(alice)]))).toBe('bad_note');
    expect(codeOf(() => signNote('bell\u0007\n', [ed25519NoteSigner(alice)]))).toBe('bad_note');
    expect(codeOf(() => signNote('ok\n', []))).toBe('bad_note');
  });
});

describe('vkeys and skeys', () => {
  it('derives the key ID as SHA-256(name || 0x0A || type || key)[:4]', () => {
    const info = parseVerifierKey(alice.vkey);
    expect(info.keyId).toBe(computeKeyId(alice.name, KEY_TYPE_ED25519, info.publicKey.bytes));
    expect(alice.vkey).toBe(
      `${alice.name}+${formatKeyId(alice.keyId)}+${toBase64(concatBytes(Uint8Array.of(1), info.publicKey.bytes))}`,
    );
    // The same key as a cosigner (type 0x04) has another key ID.
    expect(computeKeyId(alice.name, KEY_TYPE_COSIGNATURE, info.publicKey.bytes)).not.toBe(alice.keyId);
    expect(formatKeyId(0x00000abc)).toBe('00000abc');
  });

  it('round-trips skey -> vkey for both key types and generated keys', () => {
    for (const type of [KEY_TYPE_ED25519, KEY_TYPE_COSIGNATURE] as const) {
      const skey = formatSignerKey('rt.example/k', type, new Uint8Array(32).fill(3));
      const key = parseSignerKey(skey);
      expect(key.type).toBe(type);
      expect(parseVerifierKey(key.vkey).vkey).toBe(key.vkey);
      expect(parseSignerKey(`${skey}\n`).vkey).toBe(key.vkey); // key files end in a newline
      const fresh = generateKey('fresh.example', type);
      expect(parseSignerKey(fresh.skey).vkey).toBe(fresh.vkey);
    }
  });

  it('never shows the seed when a signer key is printed or serialised', () => {
    const skey = formatSignerKey('secret.example', KEY_TYPE_ED25519, new Uint8Array(32).fill(0xab));
    const key = parseSignerKey(skey);
    const seedB64 = skey.split('+').slice(4).join('+');
    expect(JSON.stringify(key)).not.toContain(seedB64.slice(4, 20));
    expect(JSON.stringify(key)).not.toContain('abababab');
  });

  const pub = parseVerifierKey(alice.vkey).publicKey.bytes;
  const material = (type: number, key: Uint8Array): string => toBase64(concatBytes(Uint8Array.of(type), key));
  it.each([
    ['no key ID', `${alice.name}+${material(1, pub)}`],
    ['key ID of 7 digits', `${alice.name}+${formatKeyId(alice.keyId).slice(1)}+${material(1, pub)}`],
    ['uppercase key ID', `${alice.name}+${formatKeyId(alice.keyId).toUpperCase()}+${material(1, pub)}`],
    ['key ID that does not match', `${alice.name}+${formatKeyId(alice.keyId ^ 1)}+${material(1, pub)}`],
    ['name changed (key ID no longer matches)', `alice.example/other+${formatKeyId(alice.keyId)}+${material(1, pub)}`],
    ['unsupported type 0x02', `${alice.name}+${formatKeyId(computeKeyId(alice.name, 2, pub))}+${material(2, pub)}`],
    [
      '31-byte key',
      `${alice.name}+${formatKeyId(computeKeyId(alice.name, 1, pub.subarray(1)))}+${material(1, pub.subarray(1))}`,
    ],
    [
      '33-byte key',
      `${alice.name}+${formatKeyId(computeKeyId(alice.name, 1, concatBytes(pub, Uint8Array.of(0))))}+${material(1, concatBytes(pub, Uint8Array.of(0)))}`,
    ],
    [
      'small-order key (identity)',
      `x+${formatKeyId(computeKeyId('x', 1, Uint8Array.of(1, ...new Uint8Array(31))))}+${material(1, Uint8Array.of(1, ...new Uint8Array(31)))}`,
    ],
    ['name with a space', `a b+${formatKeyId(alice.keyId)}+${material(1, pub)}`],
    ['empty name', `+${formatKeyId(alice.keyId)}+${material(1, pub)}`],
    [
      'a space inside the base64',
      `${alice.name}+${formatKeyId(alice.keyId)}+${material(1, pub).slice(0, 8)} ${material(1, pub).slice(8)}`,
    ],
    ['base64 of 32 bytes (no type byte)', `${alice.name}+${formatKeyId(alice.keyId)}+${toBase64(pub)}`],
    ['trailing newline', `${alice.vkey}\n`],
  ])('rejects a vkey with %s', (_, vkey) => {
    expect(codeOf(() => parseVerifierKey(vkey))).toMatch(/^bad_(key|encoding)$/);
  });

  it.each([
    ['missing PRIVATE+KEY', alice.vkey],
    ['wrong key ID', formatSignerKey('n.example', 1, new Uint8Array(32)).replace(/\+[0-9a-f]{8}\+/, '+00000000+')],
    ['short seed', `PRIVATE+KEY+n+00000000+${toBase64(new Uint8Array(32))}`],
    ['unknown type', `PRIVATE+KEY+n+00000000+${toBase64(concatBytes(Uint8Array.of(2), new Uint8Array(32)))}`],
  ])('rejects an skey with %s', (_, skey) => {
    expect(codeOf(() => parseSignerKey(skey))).toMatch(/^bad_(key|encoding)$/);
  });

  it('key names: non-empty, at most 256 bytes, no +, no Unicode spaces or controls', () => {
    expect(keyNameProblem('example.com/log')).toBeUndefined();
    expect(keyNameProblem('caf\u00e9.example')).toBeUndefined();
    expect(keyNameProblem('x'.repeat(256))).toBeUndefined();
    for (const bad of ['', 'x'.repeat(257), 'a+b', 'a b', 'a\tb', 'a\u3000b', 'a\u2003b', 'a\nb', 'a\u0085b'])
      expect(keyNameProblem(bad), JSON.stringify(bad)).toBeTypeOf('string');
    expect(codeOf(() => formatVerifierKey('a b', KEY_TYPE_ED25519, pub))).toBe('bad_key');
  });

  it('note verifiers and signers insist on the right key type', () => {
    const cosigner = fixedKey('w.example', KEY_TYPE_COSIGNATURE);
    expect(codeOf(() => ed25519NoteVerifier(cosigner.vkey))).toBe('bad_key');
    expect(codeOf(() => ed25519NoteSigner(cosigner))).toBe('bad_key');
  });
});
