// Canonical encodings: every accepted string has exactly one byte meaning and vice versa.
// Covers core/bytes.ts (hex, base64, UTF-8, big-endian integers), core/decimal.ts and
// core/entry-bundle.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeUtf8,
  fromBase64,
  fromHex,
  readUint32BE,
  readUint64BE,
  toBase64,
  toHex,
  utf8,
  writeUint32BE,
  writeUint64BE,
} from '../../core/bytes.ts';
import { parseDecimal, parseDecimalBig, isUint, MAX_TREE_SIZE } from '../../core/decimal.ts';
import { decodeEntryBundle, encodeEntryBundle, MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { codeOf } from '../support/error-code.ts';

describe('canonical decimal', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['10', 10],
    ['20852163', 20852163],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('accepts %s', (text, value) => {
    expect(parseDecimal(text, 'n')).toBe(value);
  });

  it.each([
    '',
    '00',
    '01',
    '007',
    '-1',
    '+1',
    '-0',
    ' 1',
    '1 ',
    '1\n',
    '1.0',
    '1e3',
    '0x10',
    '1_000',
    '١',
    '１',
    '9007199254740992',
    '99999999999999999',
    '1'.repeat(400),
  ])('rejects %j', (text) => {
    expect(codeOf(() => parseDecimal(text, 'n'))).toBe('bad_number');
  });

  it('applies a caller maximum', () => {
    expect(parseDecimal('255', 'w', 255)).toBe(255);
    expect(codeOf(() => parseDecimal('256', 'w', 255))).toBe('bad_number');
  });

  it('round-trips every safe integer through String()', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseDecimal(String(n), 'n')).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('64-bit decimals for cosignature timestamps', () => {
    const max = 2n ** 63n - 1n;
    expect(parseDecimalBig('9223372036854775807', 't', max)).toBe(max);
    expect(parseDecimalBig('0', 't', max)).toBe(0n);
    for (const bad of [
      '9223372036854775808',
      '18446744073709551615',
      '18446744073709551616',
      '123456789012345678901',
      '01',
      '-1',
      '',
    ]) {
      expect(
        codeOf(() => parseDecimalBig(bad, 't', max)),
        bad,
      ).toBe('bad_number');
    }
  });

  it('isUint accepts only safe non-negative integers', () => {
    expect(isUint(0)).toBe(true);
    expect(isUint(MAX_TREE_SIZE)).toBe(true);
    for (const v of [-1, 0.5, Number.NaN, MAX_TREE_SIZE + 1, '1', 1n, null]) expect(isUint(v)).toBe(false);
  });
});

describe('hex', () => {
  it('accepts lowercase only, with an optional exact length', () => {
    expect(toHex(fromHex('00ff10'))).toBe('00ff10');
    expect(fromHex('')).toHaveLength(0);
    expect(fromHex('abcd', 2)).toHaveLength(2);
    for (const bad of ['0', 'ABCD', 'aBcd', 'gg', '0x00', ' 00', '00 ', '00\n', 'zz'])
      expect(
        codeOf(() => fromHex(bad)),
        bad,
      ).toBe('bad_encoding');
    expect(codeOf(() => fromHex('abcd', 3))).toBe('bad_encoding');
  });

  it('every accepted string is the canonical encoding of its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(toHex(fromHex(toHex(bytes)))).toBe(toHex(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF x'), maxLength: 12 }), (s) => {
        let bytes: Uint8Array;
        try {
          bytes = fromHex(s);
        } catch {
          return;
        }
        expect(toHex(bytes)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('base64', () => {
  it.each([
    ['', ''],
    ['AA==', '00'],
    ['AAA=', '0000'],
    ['AAAA', '000000'],
    ['/+8=', 'ffef'],
  ])('decodes canonical %j', (text, hex) => {
    expect(toHex(fromBase64(text))).toBe(hex);
    expect(toBase64(fromHex(hex))).toBe(text);
  });

  it.each([
    ['non-zero padding bits (==)', 'AB=='],
    ['non-zero padding bits (=)', 'AAB='],
    ['missing padding', 'AA'],
    ['short padding', 'AA='],
    ['too much padding', 'A==='],
    ['only padding', '===='],
    ['padding in the middle', 'AA==AAAA'],
    ['URL-safe alphabet', '-_8='],
    ['whitespace', 'AA AA'],
    ['trailing newline', 'AAAA\n'],
    ['line break inside', 'AAAA\nAAAA'],
    ['length not a multiple of 4', 'AAAAA'],
    ['non-ASCII', 'AAA\u00e9'],
  ])('rejects %s', (_, text) => {
    expect(codeOf(() => fromBase64(text))).toBe('bad_encoding');
  });

  it('checks the decoded length', () => {
    expect(codeOf(() => fromBase64('AAAA', 2))).toBe('bad_encoding');
    expect(fromBase64('AAAA', 3)).toHaveLength(3);
  });

  it('every accepted string is the canonical encoding of its bytes (one encoding per byte string)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(toHex(fromBase64(toBase64(bytes)))).toBe(toHex(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AB/+Qw09=-_ '), maxLength: 12 }), (s) => {
        let bytes: Uint8Array;
        try {
          bytes = fromBase64(s);
        } catch {
          return;
        }
        expect(toBase64(bytes)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('UTF-8 and integers', () => {
  it('decodes strictly: invalid sequences, overlongs and surrogates are errors, never U+FFFD', () => {
    expect(decodeUtf8(utf8('h\u00e9\u2014\u{1f600}'))).toBe('h\u00e9\u2014\u{1f600}');
    for (const bad of [
      [0xff],
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x80],
    ]) {
      expect(
        codeOf(() => decodeUtf8(Uint8Array.from(bad))),
        String(bad),
      ).toBe('bad_encoding');
    }
    // A BOM is kept as text, not silently dropped.
    expect(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
  });

  it('big-endian integers round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        expect(readUint32BE(writeUint32BE(n))).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        expect(readUint64BE(writeUint64BE(n))).toBe(n);
      }),
    );
    expect(toHex(writeUint64BE(2n ** 63n - 1n))).toBe('7fffffffffffffff');
    expect(readUint32BE(Uint8Array.of(0xcc, 0x9a, 0x70, 0x44))).toBe(0xcc9a7044);
  });
});

describe('entry bundles', () => {
  it('round-trips, including empty and maximum-size entries', () => {
    const entries = [new Uint8Array(0), utf8('a'), new Uint8Array(MAX_ENTRY_BYTES).fill(7), utf8('last')];
    const bundle = encodeEntryBundle(entries);
    expect(bundle.length).toBe(2 * 4 + 0 + 1 + MAX_ENTRY_BYTES + 4);
    expect(Array.from(bundle.subarray(0, 5))).toEqual([0, 0, 0, 1, 0x61]);
    expect(decodeEntryBundle(bundle, 4).map(toHex)).toEqual(entries.map(toHex));
    expect(decodeEntryBundle(new Uint8Array(0), 0)).toEqual([]);
  });

  it('refuses entries above 65535 bytes', () => {
    expect(codeOf(() => encodeEntryBundle([new Uint8Array(MAX_ENTRY_BYTES + 1)]))).toBe('too_large');
  });

  it.each([
    ['truncated length prefix', [0, 1, 0x61, 0], 1],
    ['truncated entry', [0, 3, 0x61, 0x62], 1],
    ['more entries than expected', [0, 1, 0x61, 0, 1, 0x62], 1],
    ['fewer entries than expected', [0, 1, 0x61], 2],
    ['trailing byte', [0, 1, 0x61, 0], 1],
    ['data when none expected', [0, 0], 0],
  ])('rejects %s', (_, bytes, count) => {
    expect(codeOf(() => decodeEntryBundle(Uint8Array.from(bytes), count))).toBe('bad_tile');
  });

  it('decodes whatever it encodes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (entries) => {
        expect(decodeEntryBundle(encodeEntryBundle(entries), entries.length).map(toHex)).toEqual(entries.map(toHex));
      }),
      { numRuns: 100 },
    );
  });
});
