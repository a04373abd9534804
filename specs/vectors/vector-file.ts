/**
 * The shape shared by every vector file, and the error-code helper the builders use to record
 * what the core does with a negative case.
 */
import { isFleetlogError } from '../../core/errors.ts';

export const VECTORS_FORMAT = 'fleetlog-test-vectors/v1';

export interface VectorFile<V> {
  readonly format: typeof VECTORS_FORMAT;
  readonly name: string;
  readonly description: string;
  readonly vectors: readonly V[];
  /** Extra top-level data some files share between vectors (keys, trees). */
  readonly [extra: string]: unknown;
}

export function vectorFile<V>(
  name: string,
  description: string,
  vectors: readonly V[],
  extra: Record<string, unknown> = {},
): VectorFile<V> {
  return { format: VECTORS_FORMAT, name, description, ...extra, vectors };
}

/** The FleetlogError code `f` throws, or undefined if it returns. Anything else is a bug. */
export function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isFleetlogError(e)) return e.code;
    throw e;
  }
  return undefined;
}
