/**
 * Canonical JSON (RFC 8785, JCS) for fleetlog entries, via the `canonicalize` package by the RFC's
 * author. An entry is accepted only if its bytes ARE the canonical form: we never re-encode a
 * submission, so the leaf hash always covers exactly what the submitter signed and sent.
 */
import canonicalize from 'canonicalize';
import { bytesEqual, decodeUtf8, utf8 } from '../bytes.ts';
import { MAX_ENTRY_BYTES } from '../entry-bundle.ts';
import { FleetlogError } from '../errors.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new FleetlogError('internal', 'value cannot be canonicalized');
  return text;
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

/** Parses entry bytes and insists they are canonical JCS (which also rules out duplicate keys). */
export function parseCanonicalJson(bytes: Uint8Array): Json {
  if (bytes.length > MAX_ENTRY_BYTES)
    throw new FleetlogError('too_large', `entry is ${bytes.length} bytes; the maximum is ${MAX_ENTRY_BYTES}`);
  const text = decodeUtf8(bytes, 'entry');
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    throw new FleetlogError('bad_entry', 'entry is not valid JSON');
  }
  let canonical: Uint8Array;
  try {
    canonical = canonicalJsonBytes(value);
  } catch {
    throw new FleetlogError('bad_entry', 'entry cannot be canonicalized');
  }
  if (!bytesEqual(canonical, bytes)) {
    throw new FleetlogError(
      'bad_entry',
      'entry is not in canonical form (RFC 8785: sorted keys, no whitespace, no duplicate keys, shortest numbers)',
    );
  }
  return value;
}
