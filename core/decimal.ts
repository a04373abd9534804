/**
 * Canonical ASCII decimals, as every C2SP format writes sizes, indices and timestamps: digits only,
 * no sign, no leading zeroes (except "0" itself), no whitespace.
 *
 * Tree sizes and indices are JavaScript numbers, capped at 2^53 - 1: a log of 9 quadrillion entries is
 * far beyond any deployment, and larger values are rejected as `bad_number` rather than rounded.
 */
import { FleetlogError } from './errors.ts';

const CANONICAL = /^(?:0|[1-9][0-9]*)$/;

export const MAX_TREE_SIZE = Number.MAX_SAFE_INTEGER;

/** Parses a canonical decimal into a safe integer no larger than `max`. */
export function parseDecimal(text: string, what: string, max: number = MAX_TREE_SIZE): number {
  if (!CANONICAL.test(text) || text.length > 16) {
    if (CANONICAL.test(text))
      throw new FleetlogError('bad_number', `${what} ${text.slice(0, 24)} is too large (max ${max})`);
    throw new FleetlogError(
      'bad_number',
      `${what} must be a canonical decimal (digits only, no leading zeroes), got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value > max)
    throw new FleetlogError('bad_number', `${what} ${text} is too large (max ${max})`);
  return value;
}

/** Parses a canonical decimal that may need 64 bits (cosignature timestamps). */
export function parseDecimalBig(text: string, what: string, max: bigint): bigint {
  if (!CANONICAL.test(text) || text.length > 20) {
    throw new FleetlogError('bad_number', `${what} must be a canonical decimal no larger than ${max}`);
  }
  const value = BigInt(text);
  if (value > max) throw new FleetlogError('bad_number', `${what} ${text} is too large (max ${max})`);
  return value;
}

/** Checks that a number is a safe non-negative integer, for values that arrive as JS numbers. */
export function isUint(value: unknown, max: number = MAX_TREE_SIZE): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}
