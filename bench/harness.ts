/**
 * Benchmark plumbing. Every figure is measured in the same run as its baseline, so the ratio stays
 * meaningful on a noisy shared machine. Rates are "higher is better"; ratio = value / baseline.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineName?: string;
  ratio?: number;
}

/** A benchmark module in bench/: `export async function run(): Promise<Figure[]>`. */
export interface BenchModule {
  run(): Promise<Figure[]>;
}

export function figure(name: string, value: number, unit: string, baseline?: { name: string; value: number }): Figure {
  const round = (x: number): number => (Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(4)));
  const f: Figure = { name, value: round(value), unit };
  if (baseline) {
    f.baseline = round(baseline.value);
    f.baselineName = baseline.name;
    f.ratio = Number((value / baseline.value).toFixed(3));
  }
  return f;
}

/** Runs `fn` repeatedly for about `ms` milliseconds (after a short warm-up); returns calls/second. */
export function ratePerSecond(fn: () => void, ms = 1000): number {
  const warmUntil = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 64; i++) fn();
    calls += 64;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

/** Times one call of `fn` (async allowed), in milliseconds. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Best of `n` timings: the least-disturbed run on a shared machine. */
export async function bestOfMs(n: number, fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await timeMs(fn));
  return best;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
