/**
 * signed-notes.json, checkpoints.json and cosignatures.json: C2SP signed-note, tlog-checkpoint and
 * tlog-cosignature vectors, positive and negative, with the error code fleetlog gives each
 * negative. Keys come from fixed seeds (fixtures.ts) or the published known answers (KAT below: the Go x/mod note tests and C2SP tlog-cosignature).
 */
import { concatBytes, toBase64, toHex, utf8, writeUint64BE } from '../../core/bytes.ts';
import { formatCheckpointText, signCheckpoint } from '../../core/checkpoint.ts';
import { cosignatureMessage, cosignerFromKey } from '../../core/cosignature.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import {
  computeKeyId,
  formatKeyId,
  KEY_TYPE_COSIGNATURE,
  KEY_TYPE_ED25519,
  type SignerKey,
} from '../../core/note/keys.ts';
import { appendSignatureLines, formatSignatureLine, signNote } from '../../core/note/note.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { fixedKey, fixedSkey } from './fixtures.ts';
import { vectorFile, type VectorFile } from './vector-file.ts';

export const KAT = {
  skey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  vkey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  text: "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
  line: '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
  cosignerVkey: 'witness.example/w1+cc9a7044+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  cosignedText: 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
  cosignatureLine:
    '\u2014 witness.example/w1 zJpwRAAAAABkGFDLJeR//pqzhnEKVvEm2wWbh2RJ6oru5+cUUfm5X9NnlaGr8aSH9QE5RVZD4QGlxl2F5UpVIIi94p178KLfqPPsAA==\n',
  cosignatureTime: 1679315147,
};

export interface KeyRecord {
  readonly name: string;
  readonly type: 'ed25519' | 'cosignature/v1';
  readonly vkey: string;
  /** Test keys only: every seed here is public. */
  readonly skey: string;
}

function record(key: SignerKey, skey: string): KeyRecord {
  return { name: key.name, type: key.type === KEY_TYPE_ED25519 ? 'ed25519' : 'cosignature/v1', vkey: key.vkey, skey };
}

const fake = (name: string, keyId: number, length = 64): string =>
  formatSignatureLine(name, keyId, new Uint8Array(length).fill(0x5a));
const lineOf = (signed: string): string => signed.slice(signed.lastIndexOf('\n\n') + 2);

export interface NoteVector {
  readonly kind: 'note';
  readonly description: string;
  /** The note as text; `noteHex` instead when the bytes are not UTF-8. */
  readonly note?: string;
  readonly noteHex?: string;
  readonly verifierKeys: readonly string[];
  readonly valid: boolean;
  readonly error?: string;
  /** For valid notes: the signed text and the names whose signatures verified. */
  readonly text?: string;
  readonly verifiedBy?: readonly string[];
}
export interface VkeyVector {
  readonly kind: 'vkey';
  readonly description: string;
  readonly vkey: string;
  readonly valid: boolean;
  readonly error?: string;
  readonly keyId?: string;
}

export function buildNoteVectors(): VectorFile<NoteVector | VkeyVector> {
  const alice = fixedKey('alice.example/key', KEY_TYPE_ED25519);
  const aliceTwin = fixedKey('alice.example/key', KEY_TYPE_ED25519, 'alice twin');
  const bob = fixedKey('bob.example/key', KEY_TYPE_ED25519);
  const keys = [
    record(alice, fixedSkey('alice.example/key', KEY_TYPE_ED25519)),
    record(aliceTwin, fixedSkey('alice.example/key', KEY_TYPE_ED25519, 'alice twin')),
    record(bob, fixedSkey('bob.example/key', KEY_TYPE_ED25519)),
  ];
  const v: Array<NoteVector | VkeyVector> = [];
  const kat = `${KAT.text}\n${KAT.line}`;
  const ok = (description: string, note: string, verifierKeys: string[], text: string, verifiedBy: string[]): void => {
    v.push({ kind: 'note', description, note, verifierKeys, valid: true, text, verifiedBy });
  };
  const no = (description: string, note: string, verifierKeys: string[], error: string): void => {
    v.push({ kind: 'note', description, note, verifierKeys, valid: false, error });
  };

  ok('published known answer (Go x/mod note test key)', kat, [KAT.vkey], KAT.text, ['PeterNeumann']);
  ok(
    'an unknown signature before the known one is ignored',
    `${KAT.text}\n${fake('Someone', 0)}${KAT.line}`,
    [KAT.vkey],
    KAT.text,
    ['PeterNeumann'],
  );
  ok(
    '20 unknown signatures after the known one (at least 16 signature lines must be accepted)',
    kat + Array.from({ length: 20 }, (_, i) => fake(`unknown${i}.example`, i)).join(''),
    [KAT.vkey],
    KAT.text,
    ['PeterNeumann'],
  );
  const text = 'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 subito sera.\n';
  const byAlice = signNote(text, [ed25519NoteSigner(alice)]);
  ok('text with a blank line inside: the split is at the LAST blank line', byAlice, [alice.vkey], text, [alice.name]);
  ok(
    'two known keys both verify',
    appendSignatureLines(byAlice, [lineOf(signNote(text, [ed25519NoteSigner(bob)]))]),
    [alice.vkey, bob.vkey],
    text,
    [alice.name, bob.name],
  );
  ok(
    'a signature sharing only the NAME of a known key (other key ID) is ignored',
    appendSignatureLines(byAlice, [fake(alice.name, aliceTwin.keyId)]),
    [alice.vkey],
    text,
    [alice.name],
  );
  ok(
    'a signature sharing only the KEY ID of a known key (other name) is ignored',
    appendSignatureLines(byAlice, [fake('mallory.example/key', alice.keyId)]),
    [alice.vkey],
    text,
    [alice.name],
  );
  ok(
    'the same valid signature line twice counts once',
    appendSignatureLines(byAlice, [lineOf(byAlice)]),
    [alice.vkey],
    text,
    [alice.name],
  );
  const sixteen = Array.from({ length: 16 }, (_, i) => fixedKey(`signer${i}.example`, KEY_TYPE_ED25519));
  ok(
    '16 known keys, all verifying',
    signNote('sixteen signatures\n', sixteen.map(ed25519NoteSigner)),
    sixteen.map((k) => k.vkey),
    'sixteen signatures\n',
    sixteen.map((k) => k.name),
  );

  no('text changed after signing', `${KAT.text.replace('answer', 'Answer')}\n${KAT.line}`, [KAT.vkey], 'bad_signature');
  no(
    'a failing signature by a known key (name AND key ID match) rejects the note even next to a valid one',
    appendSignatureLines(byAlice, [fake(alice.name, alice.keyId)]),
    [alice.vkey],
    'bad_signature',
  );
  no('no signature by a known key', kat, [alice.vkey], 'no_trusted_signature');
  no(
    'only the twin key (same name, other key ID) signed',
    signNote(text, [ed25519NoteSigner(aliceTwin)]),
    [alice.vkey],
    'no_trusted_signature',
  );
  no(
    "alice's signature bytes under another name",
    byAlice.replace(`\u2014 ${alice.name} `, '\u2014 mallory.example/key '),
    [alice.vkey],
    'no_trusted_signature',
  );
  no(
    '257 signature lines (fleetlog accepts up to 256)',
    kat + Array.from({ length: 256 }, (_, i) => fake(`u${i}.example`, i)).join(''),
    [KAT.vkey],
    'too_large',
  );
  for (const [description, note] of [
    ['no final newline', kat.slice(0, -1)],
    ['no blank line before the signatures', `${KAT.text}${KAT.line}`],
    ['a blank line but no signature lines', `${KAT.text}\n\n`],
    ['hyphen-minus instead of U+2014', `${KAT.text}\n${KAT.line.replace('\u2014', '-')}`],
    ['carriage return in the text', `${KAT.text.replace('\n', '\r\n')}\n${KAT.line}`],
    ['a BEL control character', `${KAT.text.replace('If', 'I\u0007f')}\n${KAT.line}`],
    ['a tab', `${KAT.text.replace(' you ', '\tyou ')}\n${KAT.line}`],
    ['non-canonical base64 (non-zero padding bits)', `${KAT.text}\n${KAT.line.replace('AM=', 'AN=')}`],
    [
      'signature of 4 bytes (key ID only)',
      `${KAT.text}\n\u2014 PeterNeumann ${toBase64(Uint8Array.of(0xc7, 0x4f, 0x20, 0xa3))}\n`,
    ],
    ['empty key name', `${KAT.text}\n\u2014  ${KAT.line.split(' ')[2]}`],
    ['key name containing +', `${KAT.text}\n${fake('a+b', 1)}`],
    ['a line that is not a signature in the signature block', `${kat}not a signature\n`],
  ] as const) {
    no(description, note, [KAT.vkey], 'bad_note');
  }
  const invalidUtf8 = utf8(kat);
  invalidUtf8[3] = 0xff;
  v.push({
    kind: 'note',
    description: 'bytes that are not UTF-8',
    noteHex: toHex(invalidUtf8),
    verifierKeys: [KAT.vkey],
    valid: false,
    error: 'bad_encoding',
  });

  const vk = (description: string, vkey: string, error?: string): void => {
    v.push(
      error
        ? { kind: 'vkey', description, vkey, valid: false, error }
        : { kind: 'vkey', description, vkey, valid: true, keyId: vkey.split('+')[1]! },
    );
  };
  vk('published known answer (type 0x01)', KAT.vkey);
  vk('published cosigner known answer (type 0x04)', KAT.cosignerVkey);
  vk(
    'key ID does not match the name and key',
    'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'bad_key',
  );
  vk('uppercase key ID', 'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'bad_key');
  vk('missing key part', 'PeterNeumann+c74f20a3', 'bad_key');
  vk(
    'unsupported type 0x02 (ECDSA)',
    `PeterNeumann+c74f20a3+${toBase64(concatBytes(Uint8Array.of(2), new Uint8Array(32).fill(1)))}`,
    'bad_key',
  );
  vk('31-byte key', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q=', 'bad_key');
  vk('empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'bad_key');
  vk('base64 with a space', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiB fsVkmqq/LDE4izWy10TW', 'bad_encoding');
  const identity = concatBytes(Uint8Array.of(1), new Uint8Array(31));
  vk(
    'a small-order public key (the identity point, with a correct key ID) is refused',
    `x+${formatKeyId(computeKeyId('x', KEY_TYPE_ED25519, identity))}+${toBase64(concatBytes(Uint8Array.of(KEY_TYPE_ED25519), identity))}`,
    'bad_key',
  );
  return vectorFile(
    'signed-notes',
    'C2SP signed-note: parse and verify `note` (or `noteHex`) against `verifierKeys` (type 0x01 Ed25519 vkeys). Valid notes give `text` and the names in `verifiedBy`; invalid ones the fleetlog error code. Also vkey parsing.',
    v,
    { keys },
  );
}

export interface CheckpointTextVector {
  readonly kind: 'text';
  readonly description: string;
  readonly text: string;
  readonly valid: boolean;
  readonly error?: string;
  readonly checkpoint?: {
    readonly origin: string;
    readonly size: number;
    readonly rootHash: string;
    readonly extensions: readonly string[];
  };
}
export interface SignedCheckpointVector {
  readonly kind: 'signed';
  readonly description: string;
  readonly note: string;
  readonly logKeys: readonly string[];
  readonly witnessKeys: readonly string[];
  readonly valid: boolean;
  readonly error?: string;
  readonly size?: number;
}

export function buildCheckpointVectors(): VectorFile<CheckpointTextVector | SignedCheckpointVector> {
  const log = fixedKey('example.com/vectors-log', KEY_TYPE_ED25519);
  const witness = fixedKey('witness.example/vectors', KEY_TYPE_COSIGNATURE);
  const impostor = fixedKey('example.com/vectors-log', KEY_TYPE_ED25519, 'impostor log');
  const otherLog = fixedKey('example.com/other-log', KEY_TYPE_ED25519);
  const keys = [
    record(log, fixedSkey('example.com/vectors-log', KEY_TYPE_ED25519)),
    record(witness, fixedSkey('witness.example/vectors', KEY_TYPE_COSIGNATURE)),
    record(impostor, fixedSkey('example.com/vectors-log', KEY_TYPE_ED25519, 'impostor log')),
    record(otherLog, fixedSkey('example.com/other-log', KEY_TYPE_ED25519)),
  ];
  const root = toBase64(new Uint8Array(32).fill(0xaa));
  const v: Array<CheckpointTextVector | SignedCheckpointVector> = [];
  const ok = (
    description: string,
    text: string,
    origin: string,
    size: number,
    rootHash: string,
    extensions: string[] = [],
  ): void => {
    v.push({ kind: 'text', description, text, valid: true, checkpoint: { origin, size, rootHash, extensions } });
  };
  const bad = (description: string, text: string): void => {
    v.push({ kind: 'text', description, text, valid: false, error: 'bad_checkpoint' });
  };
  ok('three lines', `example.com/log\n42\n${root}\n`, 'example.com/log', 42, root);
  ok(
    'published cosigned checkpoint',
    KAT.cosignedText,
    'example.com/behind-the-sofa',
    20852163,
    'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=',
  );
  ok('empty tree', `o\n0\n${toBase64(EMPTY_ROOT)}\n`, 'o', 0, toBase64(EMPTY_ROOT));
  ok('largest size fleetlog accepts (2^53 - 1)', `o\n9007199254740991\n${root}\n`, 'o', 9007199254740991, root);
  ok('extension lines are parsed and kept opaque', `o\n1\n${root}\nextension one\n\u00e9xt two\n`, 'o', 1, root, [
    'extension one',
    '\u00e9xt two',
  ]);
  const sixteen = Array.from({ length: 16 }, (_, i) => `ext${i}`);
  ok('16 extension lines (the most fleetlog accepts)', `o\n1\n${root}\n${sixteen.join('\n')}\n`, 'o', 1, root, sixteen);
  bad('17 extension lines', `o\n1\n${root}\n${[...sixteen, 'ext16'].join('\n')}\n`);
  bad('size with a leading zero', `o\n042\n${root}\n`);
  bad('size with a plus sign', `o\n+42\n${root}\n`);
  bad('size above 2^53 - 1', `o\n9007199254740992\n${root}\n`);
  bad('20-digit size', `o\n99999999999999999999\n${root}\n`);
  bad('31-byte root hash', `o\n1\n${toBase64(new Uint8Array(31))}\n`);
  bad('33-byte root hash', `o\n1\n${toBase64(new Uint8Array(33))}\n`);
  bad('root hash without padding', `o\n1\n${root.slice(0, -1)}\n`);
  bad('empty origin', `\n1\n${root}\n`);
  bad('missing root line', 'o\n1\n');
  bad('no final newline', `o\n1\n${root}`);
  bad('an empty extension line', `o\n1\n${root}\n\n`);

  const cp = { origin: log.name, size: 9, rootHash: new Uint8Array(32).fill(0x11) };
  const signed = signCheckpoint(cp, [ed25519NoteSigner(log)]);
  const cosig = cosignerFromKey(witness).cosign(utf8(formatCheckpointText(cp)), 1767225540);
  const sv = (description: string, note: string, logKeys: string[], witnessKeys: string[], error?: string): void => {
    v.push(
      error
        ? { kind: 'signed', description, note, logKeys, witnessKeys, valid: false, error }
        : { kind: 'signed', description, note, logKeys, witnessKeys, valid: true, size: 9 },
    );
  };
  sv('signed by the log (key name = origin)', signed, [log.vkey], []);
  sv(
    'signed by the log and cosigned by a known witness',
    appendSignatureLines(signed, [cosig]),
    [log.vkey],
    [witness.vkey],
  );
  sv('cosignature by an unknown witness is ignored', appendSignatureLines(signed, [cosig]), [log.vkey], []);
  sv(
    'cosignature only, no log signature',
    `${formatCheckpointText(cp)}\n${cosig}`,
    [log.vkey],
    [witness.vkey],
    'no_trusted_signature',
  );
  sv(
    'signed by another key that uses the origin as its name',
    signCheckpoint(cp, [ed25519NoteSigner(impostor)]),
    [log.vkey],
    [],
    'no_trusted_signature',
  );
  sv(
    "signed by a trusted log key whose name is not the checkpoint's origin",
    signCheckpoint(cp, [ed25519NoteSigner(otherLog)]),
    [otherLog.vkey],
    [],
    'no_trusted_signature',
  );
  sv(
    'a known witness whose cosignature fails rejects the checkpoint',
    appendSignatureLines(signed, [fake(witness.name, witness.keyId, 72)]),
    [log.vkey],
    [witness.vkey],
    'bad_signature',
  );
  sv('size changed after signing', signed.replace('\n9\n', '\n10\n'), [log.vkey], [], 'bad_signature');
  return vectorFile(
    'checkpoints',
    'C2SP tlog-checkpoint: `text` vectors parse checkpoint note text (rootHash is base64); `signed` vectors open a signed checkpoint with `logKeys` (whose key name must equal the origin) and optional `witnessKeys` (cosignature/v1).',
    v,
    { keys },
  );
}

export interface CosignatureVector {
  readonly description: string;
  /** Checkpoint text, a blank line, cosignature lines (no log signature: only the cosignatures are checked). */
  readonly note: string;
  readonly cosignerKeys: readonly string[];
  readonly valid: boolean;
  readonly error?: string;
  /** For valid vectors: the timestamp (decimal string; may exceed 2^53) and the exact signed message. */
  readonly timestamp?: string;
  readonly signedMessageHex?: string;
}

export function buildCosignatureVectors(): VectorFile<CosignatureVector> {
  const witness = fixedKey('witness.example/vectors', KEY_TYPE_COSIGNATURE);
  const sameSeedAsNoteKey = fixedKey('witness.example/vectors', KEY_TYPE_ED25519, 'witness.example/vectors');
  const keys = [
    record(witness, fixedSkey('witness.example/vectors', KEY_TYPE_COSIGNATURE)),
    record(sameSeedAsNoteKey, fixedSkey('witness.example/vectors', KEY_TYPE_ED25519, 'witness.example/vectors')),
  ];
  const text = `example.com/vectors-log\n9\n${toBase64(new Uint8Array(32).fill(0x11))}\n`;
  const manual = (timestamp: bigint, signedTime: bigint = timestamp, signedText: string = text): string =>
    formatSignatureLine(
      witness.name,
      witness.keyId,
      concatBytes(writeUint64BE(timestamp), witness.signer.sign(cosignatureMessage(signedTime, utf8(signedText)))),
    );
  const v: CosignatureVector[] = [];
  const ok = (
    description: string,
    note: string,
    cosignerKeys: string[],
    timestamp: bigint,
    checkpointText: string,
  ): void => {
    v.push({
      description,
      note,
      cosignerKeys,
      valid: true,
      timestamp: String(timestamp),
      signedMessageHex: toHex(cosignatureMessage(timestamp, utf8(checkpointText))),
    });
  };
  const bad = (description: string, note: string, error: string, cosignerKeys: string[] = [witness.vkey]): void => {
    v.push({ description, note, cosignerKeys, valid: false, error });
  };
  ok(
    'published known answer',
    `${KAT.cosignedText}\n${KAT.cosignatureLine}`,
    [KAT.cosignerVkey],
    BigInt(KAT.cosignatureTime),
    KAT.cosignedText,
  );
  ok(
    'a fixed-seed witness at 2026-01-01T00:00:00Z',
    `${text}\n${cosignerFromKey(witness).cosign(utf8(text), 1767225600)}`,
    [witness.vkey],
    1767225600n,
    text,
  );
  ok(
    'timestamp 2^63 - 1, the largest allowed',
    `${text}\n${manual(2n ** 63n - 1n)}`,
    [witness.vkey],
    2n ** 63n - 1n,
    text,
  );
  ok('timestamp 0 verifies (fleetlog witnesses never produce it)', `${text}\n${manual(0n)}`, [witness.vkey], 0n, text);
  bad('timestamp 2^63, validly signed, is above the limit', `${text}\n${manual(2n ** 63n)}`, 'bad_signature');
  bad('timestamp 2^64 - 1, validly signed', `${text}\n${manual(2n ** 64n - 1n)}`, 'bad_signature');
  bad(
    'the 8-byte timestamp differs from the one signed',
    `${text}\n${manual(1767225601n, 1767225600n)}`,
    'bad_signature',
  );
  bad(
    'a cosignature over another checkpoint',
    `${text}\n${manual(1767225600n, 1767225600n, text.replace('\n9\n', '\n8\n'))}`,
    'bad_signature',
  );
  bad('71 bytes (one short)', `${text}\n${fake(witness.name, witness.keyId, 71)}`, 'bad_signature');
  bad('73 bytes (one long)', `${text}\n${fake(witness.name, witness.keyId, 73)}`, 'bad_signature');
  bad(
    'a plain 64-byte Ed25519 signature by the same witness key ID',
    `${text}\n${formatSignatureLine(witness.name, witness.keyId, witness.signer.sign(utf8(text)))}`,
    'bad_signature',
  );
  bad(
    'a type 0x01 note signature by the same seed and name has another key ID: ignored, so nothing trusted',
    signNote(text, [ed25519NoteSigner(sameSeedAsNoteKey)]),
    'no_trusted_signature',
  );
  bad(
    'the known-answer line on a different checkpoint size',
    `${KAT.cosignedText.replace('20852163', '20852164')}\n${KAT.cosignatureLine}`,
    'bad_signature',
    [KAT.cosignerVkey],
  );
  return vectorFile(
    'cosignatures',
    'C2SP tlog-cosignature (cosignature/v1, key type 0x04): signature = u64 big-endian timestamp || Ed25519 over "cosignature/v1\\ntime <t>\\n" || checkpoint text. Open `note` with `cosignerKeys`.',
    v,
    { keys },
  );
}
