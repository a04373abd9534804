// The stable code a call fails with, for tables of bad inputs: undefined if it did not throw.
import { isFleetlogError } from '../../core/errors.ts';

export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isFleetlogError(e) ? e.code : `not a FleetlogError: ${String(e)}`;
  }
  return undefined;
}
