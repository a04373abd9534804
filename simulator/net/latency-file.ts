/** Loading a latency matrix for a command: a file, or "default" (net/default-latency.ts). */
import { readFileSync } from 'node:fs';
import { FleetlogError } from '../../core/errors.ts';
import { DEFAULT_LATENCY_MATRIX } from './default-latency.ts';
import { LatencyModel, parseLatencyMatrix, type LatencyMatrix } from './latency.ts';

/** The matrix in `file` ("default": the built-in one); every region in `regions` must be in it. */
export function loadLatencyMatrix(file: string, regions: readonly string[] = []): LatencyMatrix {
  let text: string;
  if (file === 'default') return checkRegions(DEFAULT_LATENCY_MATRIX, regions);
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FleetlogError(
      'io',
      `cannot read the latency matrix ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  return checkRegions(parseLatencyMatrix(text), regions);
}

function checkRegions(matrix: LatencyMatrix, regions: readonly string[]): LatencyMatrix {
  const known = new LatencyModel(matrix).regions;
  const missing = regions.filter((r) => !known.includes(r));
  if (missing.length)
    throw new FleetlogError(
      'usage',
      `--latency: the matrix has no region ${missing.join(', ')}; pass --regions from ${known.join(',')}`,
    );
  return matrix;
}
