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

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
