/**
 * The replicated vault value for one user: live (OPAQUE registration record, wrapped backup key,
 * remaining guesses) or destroyed (a tombstone, terminal: no change function turns it back into a
 * live record of the same generation). Sealed with the fleet's vault key, so acceptors and the
 * network only ever see ciphertext.
 */
import { decodeUtf8, utf8 } from '../../core/bytes.ts';
import { canonicalJsonBytes } from '../../core/entries/canonical-json.ts';
import { FleetlogError } from '../../core/errors.ts';
import { aeadOpen, aeadSeal } from './crypto.ts';

export interface LiveValue {
  readonly kind: 'live';
  /** A fresh id per registration: a reset or release must name the registration it belongs to. */
  readonly generation: string;
  /** OPAQUE registration record (base64url, as the library emits it). */
  readonly record: string;
  /** The backup key wrapped under the user's OPAQUE export key (base64). */
  readonly wrappedKey: string;
  readonly remaining: number;
  readonly limit: number;
  /**
   * Ids of the latest guesses counted. A proposer that retries after a partial accept may find its
   * own decrement already adopted; the id stops it from counting the same guess twice.
   */
  readonly counted: readonly string[];
}

export interface DestroyedValue {
  readonly kind: 'destroyed';
  readonly generation: string;
  readonly reason: string;
}

export type VaultValue = LiveValue | DestroyedValue;

function aad(fleetId: string, userId: string): Uint8Array {
  return utf8(`fleetlog-sim/vault-value/v1\n${fleetId}\n${userId}\n`);
}

export function sealValue(vaultKey: Uint8Array, fleetId: string, userId: string, value: VaultValue): Uint8Array {
  return aeadSeal(vaultKey, canonicalJsonBytes(value), aad(fleetId, userId));
}

export function openValue(vaultKey: Uint8Array, fleetId: string, userId: string, sealed: Uint8Array): VaultValue {
  const plain = aeadOpen(vaultKey, sealed, aad(fleetId, userId), 'vault value');
  const v = JSON.parse(decodeUtf8(plain)) as VaultValue;
  if (v.kind !== 'live' && v.kind !== 'destroyed') throw new FleetlogError('internal', 'vault value of unknown kind');
  return v;
}
