/**
 * Entry bundles (C2SP tlog-tiles): the entries of one level-0 tile, each as a big-endian uint16
 * length followed by the entry bytes. Hence the 65535-byte cap on every fleetlog entry.
 */
import { FleetlogError } from './errors.ts';

export const MAX_ENTRY_BYTES = 0xffff;

export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES)
      throw new FleetlogError('too_large', `entry of ${e.length} bytes does not fit a bundle (max ${MAX_ENTRY_BYTES})`);
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** Splits a bundle; the bundle must hold exactly `expectedCount` entries and nothing after them. */
export function decodeEntryBundle(data: Uint8Array, expectedCount: number): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + 2 > data.length) throw new FleetlogError('bad_tile', 'entry bundle is truncated inside a length prefix');
    const length = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + length > data.length)
      throw new FleetlogError('bad_tile', `entry bundle is truncated inside entry ${entries.length}`);
    entries.push(data.subarray(at + 2, at + 2 + length));
    at += 2 + length;
    if (entries.length > expectedCount)
      throw new FleetlogError('bad_tile', `entry bundle has more than the expected ${expectedCount} entries`);
  }
  if (entries.length !== expectedCount)
    throw new FleetlogError('bad_tile', `entry bundle has ${entries.length} entries, expected ${expectedCount}`);
  return entries;
}

/**
 * The bytes of the first `count` entries of a bundle: a partial bundle is a prefix of its full
 * bundle, so a client whose partial bundle is gone can cut the full one down. `bad_tile` if the
 * bundle holds fewer entries or a length prefix runs past the end.
 */
export function entryBundlePrefix(data: Uint8Array, count: number): Uint8Array {
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 2 > data.length)
      throw new FleetlogError('bad_tile', `entry bundle has fewer than the ${count} entries needed`);
    at += 2 + ((data[at]! << 8) | data[at + 1]!);
    if (at > data.length) throw new FleetlogError('bad_tile', `entry bundle is truncated inside entry ${i}`);
  }
  return data.subarray(0, at);
}
