/**
 * The change functions CASPaxos applies to a user's vault register (specs/consensus.md §Vault
 * rules). Each takes the value reconciled from a majority and returns the value to commit (null =
 * write the current value back unchanged) and what the HSM may do once that commit succeeds.
 *
 * The guess rule is the heart of it: a guess is a decrement, and only a committed decrement lets
 * the HSM answer. A live record with no guesses left becomes a tombstone, and a tombstone is
 * terminal: no change turns it back into a live record of the same generation.
 */
import { FleetlogError } from '../../core/errors.ts';
import type { DestroyedValue, LiveValue, VaultValue } from './vault-value.ts';

export type VaultChange<T> = (current: VaultValue | null) => { next: VaultValue | null; result: T };

export type GuessResult =
  | { readonly ok: true; readonly record: string; readonly generation: string; readonly remaining: number }
  | { readonly ok: false; readonly reason: string };

export type ResetResult =
  | { readonly ok: true; readonly wrappedKey: string; readonly remaining: number }
  | { readonly ok: false; readonly reason: string };

const NOT_REGISTERED = 'no backup is registered for this user on this fleet';
const DESTROYED = 'the backup was destroyed after too many wrong guesses';

function destroy(live: LiveValue, reason: string): DestroyedValue {
  return { kind: 'destroyed', generation: live.generation, reason };
}

export function registerChange(r: {
  generation: string;
  record: string;
  wrappedKey: string;
  limit: number;
}): VaultChange<{ generation: string; remaining: number }> {
  return (current) => {
    if (current?.kind === 'live' && current.generation === r.generation)
      return { next: null, result: { generation: r.generation, remaining: current.remaining } };
    if (current?.kind === 'live')
      throw new FleetlogError('conflict', 'a backup is already registered for this user on this fleet');
    const next: LiveValue = {
      kind: 'live',
      generation: r.generation,
      record: r.record,
      wrappedKey: r.wrappedKey,
      remaining: r.limit,
      limit: r.limit,
      counted: [],
    };
    return { next, result: { generation: r.generation, remaining: r.limit } };
  };
}

/** Recent guess ids kept per record (enough to cover any in-flight retry). */
const MAX_COUNTED = 16;

/** Counts guess `attemptId` once. Only an `ok` result, after its commit, lets the HSM answer it. */
export function guessChange(attemptId: string): VaultChange<GuessResult> {
  return (current) => {
    if (current === null) return { next: null, result: { ok: false, reason: NOT_REGISTERED } };
    if (current.kind === 'destroyed') return { next: null, result: { ok: false, reason: DESTROYED } };
    if (current.counted.includes(attemptId)) {
      return {
        next: null,
        result: { ok: true, record: current.record, generation: current.generation, remaining: current.remaining },
      };
    }
    if (current.remaining <= 0)
      return { next: destroy(current, 'guess limit reached'), result: { ok: false, reason: DESTROYED } };
    const remaining = current.remaining - 1;
    const counted = [...current.counted, attemptId].slice(-MAX_COUNTED);
    return {
      next: { ...current, remaining, counted },
      result: { ok: true, record: current.record, generation: current.generation, remaining },
    };
  };
}

/** After a verified login: back to the full count, and the wrapped key may be released. */
export function resetChange(generation: string): VaultChange<ResetResult> {
  return (current) => {
    if (current === null) return { next: null, result: { ok: false, reason: NOT_REGISTERED } };
    if (current.kind === 'destroyed') return { next: null, result: { ok: false, reason: DESTROYED } };
    if (current.generation !== generation)
      return {
        next: null,
        result: { ok: false, reason: 'the backup was replaced while this recovery was in progress' },
      };
    return {
      next: { ...current, remaining: current.limit, counted: [] },
      result: { ok: true, wrappedKey: current.wrappedKey, remaining: current.limit },
    };
  };
}

/** The last guess failed (or was abandoned): destroy the record if it is still exhausted. */
export function destroyIfExhausted(generation: string): VaultChange<boolean> {
  return (current) => {
    if (current?.kind === 'destroyed') return { next: null, result: current.generation === generation };
    if (current?.kind === 'live' && current.generation === generation && current.remaining <= 0)
      return { next: destroy(current, 'guess limit reached'), result: true };
    return { next: null, result: false };
  };
}

export function readStatus(v: VaultValue): { kind: 'live' | 'destroyed'; generation: string; remaining?: number } {
  return v.kind === 'live'
    ? { kind: 'live', generation: v.generation, remaining: v.remaining }
    : { kind: 'destroyed', generation: v.generation };
}
