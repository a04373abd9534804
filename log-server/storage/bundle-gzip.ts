/**
 * The stored compression of a full entry bundle. A full bundle (256 entries) never changes, so it is
 * gzip-compressed once, in the transaction that stores its last entry, and every later HTTP answer
 * for it is one indexed read of these bytes: a flood of random full tiles then costs the server a
 * read per request instead of a read of 256 rows and a compression (~13 ms of CPU under load).
 * Being in the same transaction as the entries, a stored compression never exists without them,
 * and a crash can never leave a full tile without its compression (except in a database that an
 * older fleetlog wrote; the tile reader compresses and stores those lazily, once each).
 */
import { gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { encodeEntryBundle } from '../../core/entry-bundle.ts';

const gzipAsync = promisify(gzip);

/** The gzip member of a bundle (synchronous: the SQLite writer commits inside one sync transaction). */
export function gzipBundleSync(entries: readonly Uint8Array[]): Uint8Array {
  return gzipSync(encodeEntryBundle(entries));
}

/** The same bytes compressed on the libuv thread pool (PostgreSQL writes and lazy backfill). */
export async function gzipBundle(entries: readonly Uint8Array[]): Promise<Uint8Array> {
  return gzipAsync(encodeEntryBundle(entries));
}
