/**
 * A bounded fuzz run of every parser that takes outside bytes (fuzz/targets.ts): a few hundred
 * structure-aware mutations of valid samples per parser, with a fresh seed each run (a failure
 * prints it; replay with `npm run fuzz -- --target NAME --seed N`). `npm run fuzz` runs longer.
 */
import { describe, expect, it } from 'vitest';
import { fuzzTarget } from '../../fuzz/fuzz-target.ts';
import { fuzzTargets } from '../../fuzz/targets.ts';

const ITERATIONS = 200;

describe('fuzzing the parsers of outside bytes', () => {
  it.each(fuzzTargets().map((t) => [t.name, t] as const))('%s', (_, target) => {
    expect(target.samples.length).toBeGreaterThan(0);
    const r = fuzzTarget(target, { iterations: ITERATIONS });
    expect(r.failure, `seed ${r.seed}: ${JSON.stringify(r.failure)}`).toBeUndefined();
    expect(r.runs).toBe(ITERATIONS);
    // The mutations reach both sides of the parser: some inputs still parse, others are refused.
    expect(r.accepted).toBeGreaterThan(0);
    expect(Object.keys(r.rejected).length).toBeGreaterThan(0);
  });
});
