// Text formats that carry proofs: C2SP tlog-proof (core/tlog-proof.ts) and the tlog-witness
// add-checkpoint request body (core/witness-request.ts).
import { describe, expect, it } from 'vitest';
import { toBase64, toHex, utf8 } from '../../core/bytes.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { formatTlogProof, MAX_TLOG_PROOF_BYTES, parseTlogProof } from '../../core/tlog-proof.ts';
import {
  formatAddCheckpoint,
  MAX_ADD_CHECKPOINT_BYTES,
  MAX_WITNESS_PROOF_LINES,
  parseAddCheckpoint,
} from '../../core/witness-request.ts';
import { buildWorld } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const world = buildWorld();
const checkpoint = world.checkpoint(9, [0, 1]);
const proof = world.inclusion(4, 9);
const hashes = (n: number): Hash[] => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i));
const b64 = (h: Hash): string => toBase64(h);

describe('tlog-proof', () => {
  const withExtra = formatTlogProof({ extra: utf8('entry bytes'), index: 4, proof, checkpoint });
  const without = formatTlogProof({ index: 4, proof, checkpoint });

  it('formats the C2SP layout exactly', () => {
    expect(withExtra).toBe(
      `c2sp.org/tlog-proof@v1\nextra ${toBase64(utf8('entry bytes'))}\nindex 4\n${proof.map((h) => `${b64(h)}\n`).join('')}\n${checkpoint}`,
    );
    expect(without.startsWith('c2sp.org/tlog-proof@v1\nindex 4\n')).toBe(true);
  });

  it('round-trips with and without extra data, and with an empty proof', () => {
    const p = parseTlogProof(withExtra);
    expect(new TextDecoder().decode(p.extra)).toBe('entry bytes');
    expect(p.index).toBe(4);
    expect(p.proof.map(toHex)).toEqual(proof.map(toHex));
    expect(p.checkpoint).toBe(checkpoint);
    expect(parseTlogProof(utf8(without))).toEqual({ index: 4, proof: p.proof, checkpoint });
    const single = formatTlogProof({ index: 0, proof: [], checkpoint });
    expect(parseTlogProof(single)).toEqual({ index: 0, proof: [], checkpoint });
    expect(
      parseTlogProof(formatTlogProof({ extra: new Uint8Array(0), index: 0, proof: [], checkpoint })).extra,
    ).toHaveLength(0);
  });

  it('accepts 64 proof lines and refuses 65', () => {
    expect(parseTlogProof(formatTlogProof({ index: 1, proof: hashes(64), checkpoint })).proof).toHaveLength(64);
    expect(codeOf(() => parseTlogProof(formatTlogProof({ index: 1, proof: hashes(65), checkpoint })))).toBe(
      'bad_proof',
    );
  });

  it.each([
    ['wrong header', without.replace('tlog-proof@v1', 'tlog-proof@v2')],
    ['header with a trailing space', without.replace('tlog-proof@v1\n', 'tlog-proof@v1 \n')],
    ['CRLF', without.replace(/\n/g, '\r\n')],
    ['index with a leading zero', without.replace('index 4', 'index 04')],
    ['index with a sign', without.replace('index 4', 'index +4')],
    ['index missing', without.replace('index 4\n', '')],
    ['"index" with two spaces', without.replace('index 4', 'index  4')],
    ['extra after index', without.replace('index 4\n', `index 4\nextra ${toBase64(utf8('x'))}\n`)],
    ['extra that is not base64', withExtra.replace(/extra [^\n]*/, 'extra !!!')],
    ['proof line of 31 bytes', without.replace(b64(proof[0]!), toBase64(new Uint8Array(31)))],
    ['proof line in hex', without.replace(b64(proof[0]!), toHex(proof[0]!))],
    ['missing blank line', without.replace('\n\n', '\n')],
    [
      'no checkpoint after the blank line',
      `c2sp.org/tlog-proof@v1\nindex 4\n${proof.map((h) => `${b64(h)}\n`).join('')}\n`,
    ],
  ])('rejects %s', (_, text) => {
    expect(codeOf(() => parseTlogProof(text))).toBe('bad_proof');
  });

  it('caps the size and insists on UTF-8', () => {
    expect(
      codeOf(() =>
        parseTlogProof(
          formatTlogProof({ extra: new Uint8Array(MAX_TLOG_PROOF_BYTES), index: 0, proof: [], checkpoint }),
        ),
      ),
    ).toBe('too_large');
    const bytes = utf8(without);
    bytes[bytes.length - 5] = 0xff;
    expect(codeOf(() => parseTlogProof(bytes))).toBe('bad_encoding');
  });
});

describe('add-checkpoint request body', () => {
  const consistency = world.consistency(4, 9);
  const body = formatAddCheckpoint({ oldSize: 4, proof: consistency, checkpoint });
  const bytes = (text: string): Uint8Array => utf8(text);

  it('formats and parses "old <size>", proof lines, a blank line, the checkpoint', () => {
    expect(body).toBe(`old 4\n${consistency.map((h) => `${b64(h)}\n`).join('')}\n${checkpoint}`);
    const req = parseAddCheckpoint(bytes(body));
    expect(req.oldSize).toBe(4);
    expect(req.proof.map(toHex)).toEqual(consistency.map(toHex));
    expect(new TextDecoder().decode(req.checkpoint)).toBe(checkpoint);
    expect(parseAddCheckpoint(bytes(`old 0\n\n${checkpoint}`))).toEqual({
      oldSize: 0,
      proof: [],
      checkpoint: utf8(checkpoint),
    });
  });

  it(`accepts ${MAX_WITNESS_PROOF_LINES} proof lines and refuses 64`, () => {
    expect(
      parseAddCheckpoint(bytes(formatAddCheckpoint({ oldSize: 1, proof: hashes(63), checkpoint }))).proof,
    ).toHaveLength(63);
    const sixtyFour = `old 1\n${hashes(64)
      .map((h) => `${b64(h)}\n`)
      .join('')}\n${checkpoint}`;
    expect(codeOf(() => parseAddCheckpoint(bytes(sixtyFour)))).toBe('bad_witness_request');
    expect(codeOf(() => formatAddCheckpoint({ oldSize: 1, proof: hashes(64), checkpoint }))).toBe('internal');
  });

  it.each([
    ['old 01', body.replace('old 4', 'old 04')],
    ['old 00', `old 00\n\n${checkpoint}`],
    ['old with a sign', body.replace('old 4', 'old +4')],
    ['negative old', body.replace('old 4', 'old -4')],
    ['old with two spaces', body.replace('old 4', 'old  4')],
    ['old with a trailing space', body.replace('old 4', 'old 4 ')],
    ['uppercase OLD', body.replace('old 4', 'OLD 4')],
    ['no old line', body.replace('old 4\n', '')],
    ['missing blank line', body.replace('\n\n', '\n')],
    ['CRLF line ends', body.replace(/\n/g, '\r\n')],
    ['CR on the old line only', body.replace('old 4\n', 'old 4\r\n')],
    ['proof line that is not base64', body.replace(b64(consistency[0]!), '!!!')],
    ['proof line of 33 bytes', body.replace(b64(consistency[0]!), toBase64(new Uint8Array(33)))],
    ['empty checkpoint', `old 4\n${consistency.map((h) => `${b64(h)}\n`).join('')}\n`],
    ['old beyond 2^53 - 1', body.replace('old 4', 'old 9007199254740992')],
  ])('rejects %s', (_, text) => {
    expect(codeOf(() => parseAddCheckpoint(bytes(text)))).toBe('bad_witness_request');
  });

  it('rejects bodies that are not UTF-8 as malformed, and oversize bodies before parsing', () => {
    const b = bytes(body);
    b[2] = 0xff;
    expect(codeOf(() => parseAddCheckpoint(b))).toBe('bad_witness_request');
    expect(codeOf(() => parseAddCheckpoint(new Uint8Array(MAX_ADD_CHECKPOINT_BYTES + 1)))).toBe('too_large');
  });

  it('leaves semantic checks (old > size, proofs) to the witness: the parser only parses', () => {
    const req = parseAddCheckpoint(bytes(`old 100\n\n${checkpoint}`));
    expect(req.oldSize).toBe(100);
  });
});
