// One compression of a bundle yields a valid gzip member for every prefix width: each decompresses
// (with its CRC-32 and length checked by zlib) to exactly the first W entries' bytes.
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeEntryBundle } from '../../core/entry-bundle.ts';
import { gzipPrefixes } from '../../log-server/gzip-prefixes.ts';

describe('gzipPrefixes', () => {
  it('cuts a gzip member of every width from one compression', async () => {
    // Entries of very different sizes (1 byte to 3 kB), some repetitive and some random.
    const entries = Array.from({ length: 256 }, (_, i) =>
      i % 3 === 0
        ? new Uint8Array(1 + ((i * 37) % 3000)).map(() => Math.floor(Math.random() * 256))
        : new TextEncoder().encode(`{"entry":${i},"note":"${'x'.repeat(i)}"}`),
    );
    const data = encodeEntryBundle(entries);
    const ends: number[] = [];
    let at = 0;
    for (const e of entries) {
      at += 2 + e.length;
      ends.push(at);
    }
    const prefixes = await gzipPrefixes(data, ends);
    expect(prefixes.width).toBe(256);
    for (let w = 1; w <= 256; w++) {
      const member = prefixes.gzipOf(w);
      expect(Buffer.from(gunzipSync(member)).equals(Buffer.from(data.subarray(0, ends[w - 1]))), `width ${w}`).toBe(
        true,
      );
    }
    // The flushes cost little against one plain compression of the whole bundle.
    expect(prefixes.gzipOf(256).length).toBeLessThan(gzipSync(data).length + 256 * 8);
  });

  it('stores the entries after the last flush in blocks of at most 64 KiB', async () => {
    // 15 entries of 20 kB after the first 16: a tail of 300 kB, five stored blocks.
    const entries = Array.from({ length: 31 }, (_, i) => new Uint8Array(i < 16 ? 10 : 20_000).fill(i));
    const data = encodeEntryBundle(entries);
    const ends: number[] = [];
    let at = 0;
    for (const e of entries) {
      at += 2 + e.length;
      ends.push(at);
    }
    const prefixes = await gzipPrefixes(data, ends);
    for (const w of [1, 15, 16, 17, 20, 31])
      expect(
        Buffer.from(gunzipSync(prefixes.gzipOf(w))).equals(Buffer.from(data.subarray(0, ends[w - 1]))),
        `width ${w}`,
      ).toBe(true);
  });

  it('serves a narrower bundle than it was built for, and only up to its width', async () => {
    const entries = [new Uint8Array([1, 2, 3]), new Uint8Array([4])];
    const data = encodeEntryBundle(entries);
    const prefixes = await gzipPrefixes(data, [5, 8]);
    expect([...gunzipSync(prefixes.gzipOf(1))]).toEqual([0, 3, 1, 2, 3]);
    expect([...gunzipSync(prefixes.gzipOf(2))]).toEqual([...data]);
  });
});
