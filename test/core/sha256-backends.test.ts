// SHA-256 through both backends (core/crypto): the same digest for every input length, and the
// allocation-free sha256Into / nodeHashInto forms agree with the allocating ones.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.ts';
import { nativeBackend, nobleBackend } from '../../core/crypto/select.ts';
import { sha256, sha256Into } from '../../core/crypto/sha256.ts';
import { nodeHash, nodeHashInto } from '../../core/merkle/hash.ts';

const ref = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const backends = [nativeBackend!, nobleBackend];

describe('sha256 backends', () => {
  it('known answers (FIPS 180-2)', () => {
    for (const b of backends) {
      expect(toHex(b.sha256(utf8('abc'))), b.name).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
      expect(toHex(b.sha256(new Uint8Array(0))), b.name).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
    }
  });

  it('agree with each other and node:crypto on every length around the block boundaries', () => {
    for (const len of [0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70000]) {
      const data = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff);
      for (const b of backends) expect(toHex(b.sha256(data)), `${b.name} ${len}`).toBe(ref(data));
    }
  });

  it('sha256Into writes the same digest at any offset, leaving the rest alone', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 40 }), (data, offset) => {
        for (const b of backends) {
          const out = new Uint8Array(offset + 32 + 5).fill(0xee);
          b.sha256Into(data, out, offset);
          expect(toHex(out.subarray(offset, offset + 32))).toBe(ref(data));
          expect([...out.subarray(0, offset), ...out.subarray(offset + 32)].every((x) => x === 0xee)).toBe(true);
        }
        const out = new Uint8Array(32);
        sha256Into(data, out);
        expect(toHex(out)).toBe(toHex(sha256(data)));
      }),
      { numRuns: 100 },
    );
  });

  it('returns a fresh, unshared 32-byte array each time', () => {
    const a = sha256(utf8('x'));
    const b = sha256(utf8('x'));
    expect(a).not.toBe(b);
    expect(a.length).toBe(32);
    expect(a.byteOffset).toBe(0);
    a[0] = 0;
    expect(toHex(b)).toBe(ref(utf8('x')));
  });

  it('nodeHashInto equals nodeHash, including when the output aliases an input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (l, r) => {
          const expected = toHex(nodeHash(l, r));
          expect(expected).toBe(ref(Uint8Array.of(1, ...l, ...r)));
          const left = Uint8Array.from(l);
          nodeHashInto(left, r, left);
          expect(toHex(left)).toBe(expected);
          const right = Uint8Array.from(r);
          nodeHashInto(l, right, right);
          expect(toHex(right)).toBe(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});
