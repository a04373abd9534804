/**
 * The shape shared by every vector file, and the error-code helper the builders use to record
 * what the core does with a negative case.
 */

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
