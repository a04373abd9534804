/**
 * One compression of an entry bundle from which the gzip of every prefix (every partial width) is
 * cut without compressing again. The deflate stream is sync-flushed after every FLUSH_EVERY entries
 * (RFC 1951: a sync flush ends the output on a byte boundary with everything written so far
 * decodable), so for width W the gzip header, the compressed bytes up to the last flush at or
 * before W, the entries after it as stored (uncompressed) blocks, the last one final, and the
 * trailer (CRC-32 and length of the first W entries, RFC 1952 §2.3) form a complete gzip member.
 * Serving any width then costs a copy of at most one compressed tile and FLUSH_EVERY - 1 entries.
 * Flushing after every entry would make the stored part empty, but costs a thread-pool round trip
 * per entry (~40 ms of CPU per tile against ~5 ms).
 */
import { constants, createDeflateRaw } from 'node:zlib';

/** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown). */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
const FLUSH_EVERY = 16;
/** The largest stored block's payload (its LEN field is 16 bits). */
const MAX_STORED = 0xffff;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (RFC 1952 §8) of `data` continued from `crc` (0 to start). */
function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export interface GzipPrefixes {
  /** Entries covered: any width from 1 to this can be cut. */
  readonly width: number;
  /** Memory held, for a byte-bounded cache. */
  readonly bytes: number;
  /** A complete gzip member whose decompression is the first `width` entries' bytes. */
  gzipOf(width: number): Uint8Array;
}

/**
 * Compresses `data` (a bundle whose entry i ends at `ends[i]`) with a sync flush after each entry,
 * on the libuv thread pool.
 */
export async function gzipPrefixes(data: Uint8Array, ends: readonly number[]): Promise<GzipPrefixes> {
  const deflate = createDeflateRaw();
  const chunks: Buffer[] = [];
  let produced = 0;
  deflate.on('data', (c: Buffer) => {
    chunks.push(c);
    produced += c.length;
  });
  /** flushed[k]: compressed bytes that decode to the first k * FLUSH_EVERY entries. */
  const flushed: number[] = [0];
  const crcs: number[] = [];
  let crc = 0;
  let start = 0;
  let unflushed = 0;
  for (let i = 0; i < ends.length; i++) {
    crc = crc32(data.subarray(start, ends[i]), crc);
    crcs.push(crc);
    start = ends[i]!;
    if ((i + 1) % FLUSH_EVERY === 0) {
      deflate.write(data.subarray(unflushed, ends[i]));
      unflushed = ends[i]!;
      // The flush's callback runs once its output has been handed to 'data'.
      await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
      flushed.push(produced);
    }
  }
  deflate.close();
  const compressed = Buffer.concat(chunks, produced);
  return {
    width: ends.length,
    bytes: compressed.length + 8 * ends.length,
    gzipOf(width: number): Uint8Array {
      const k = Math.floor(width / FLUSH_EVERY);
      const body = compressed.subarray(0, flushed[k]);
      const tail = data.subarray(k === 0 ? 0 : ends[k * FLUSH_EVERY - 1], ends[width - 1]);
      const blocks = Math.max(1, Math.ceil(tail.length / MAX_STORED));
      const out = new Uint8Array(GZIP_HEADER.length + body.length + 5 * blocks + tail.length + 8);
      out.set(GZIP_HEADER, 0);
      out.set(body, GZIP_HEADER.length);
      let at = GZIP_HEADER.length + body.length;
      for (let b = 0; b < blocks; b++) {
        const part = tail.subarray(b * MAX_STORED, (b + 1) * MAX_STORED);
        // BFINAL on the last block, BTYPE=00 (stored); then LEN and its one's complement, little-endian.
        out[at] = b === blocks - 1 ? 1 : 0;
        out[at + 1] = part.length & 0xff;
        out[at + 2] = part.length >>> 8;
        out[at + 3] = ~part.length & 0xff;
        out[at + 4] = (~part.length >>> 8) & 0xff;
        out.set(part, at + 5);
        at += 5 + part.length;
      }
      const trailer = new DataView(out.buffer, at);
      trailer.setUint32(0, crcs[width - 1]!, true);
      trailer.setUint32(4, ends[width - 1]! >>> 0, true); // ISIZE: the length modulo 2^32
      return out;
    },
  };
}
