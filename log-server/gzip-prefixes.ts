/**
 * One compression of an entry bundle from which the gzip of every prefix (every partial width) is
 * cut without compressing again. The deflate stream is sync-flushed after each entry (RFC 1951: a
 * sync flush ends the output on a byte boundary with everything written so far decodable), so the
 * gzip header, the compressed bytes up to entry W's flush, an empty final block and the trailer
 * (CRC-32 and length of the first W entries, RFC 1952 §2.3) form a complete gzip member for width W.
 * Serving any width then costs a copy of at most one compressed tile; a flush per entry adds about
 * five bytes each.
 */
import { constants, createDeflateRaw } from 'node:zlib';

/** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown). */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
/** A final, empty block with fixed Huffman codes (BFINAL=1, BTYPE=01, end-of-block), from a byte boundary. */
const FINAL_EMPTY_BLOCK = Uint8Array.of(0x03, 0x00);

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
  const flushedAt: number[] = [];
  const crcs: number[] = [];
  let crc = 0;
  let start = 0;
  for (const end of ends) {
    const entry = data.subarray(start, end);
    crc = crc32(entry, crc);
    crcs.push(crc);
    deflate.write(entry);
    // The flush's callback runs once its output has been handed to 'data'.
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    flushedAt.push(produced);
    start = end;
  }
  deflate.close();
  const compressed = Buffer.concat(chunks, produced);
  return {
    width: ends.length,
    bytes: compressed.length + 16 * ends.length,
    gzipOf(width: number): Uint8Array {
      const body = compressed.subarray(0, flushedAt[width - 1]);
      const out = new Uint8Array(GZIP_HEADER.length + body.length + FINAL_EMPTY_BLOCK.length + 8);
      out.set(GZIP_HEADER, 0);
      out.set(body, GZIP_HEADER.length);
      out.set(FINAL_EMPTY_BLOCK, GZIP_HEADER.length + body.length);
      const trailer = new DataView(out.buffer, out.length - 8);
      trailer.setUint32(0, crcs[width - 1]!, true);
      trailer.setUint32(4, ends[width - 1]! >>> 0, true); // ISIZE: the length modulo 2^32
      return out;
    },
  };
}
