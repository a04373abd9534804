/**
 * Runs one fuzz target (targets.ts) with fast-check: mutated samples (mutate.ts) against the
 * target's property. A failure is any exception other than a FleetlogError with one of the
 * target's codes, a PropertyViolation (the round trip), or a single call slower than `slowMs`
 * (default 5 s: far above any parse of these bounded inputs, yet above the stalls of a machine
 * shared by many processes; the synchronous parsers cannot be interrupted, so a true hang shows as
 * a test timeout).
 */
import fc from 'fast-check';
import { toHex } from '../core/bytes.ts';
import { isFleetlogError } from '../core/errors.ts';
import { mutatedInput } from './mutate.ts';
import type { FuzzTarget } from './targets.ts';

export interface FuzzOptions {
  readonly iterations: number;
  /** Stop after this long even if fewer iterations ran. */
  readonly seconds?: number;
  readonly seed?: number;
  readonly slowMs?: number;
}

export interface FuzzResult {
  readonly target: string;
  readonly runs: number;
  readonly accepted: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly seed: number;
  /** The shrunk failing input and what went wrong, if the property failed. */
  readonly failure?: { readonly inputHex: string; readonly inputText: string; readonly error: string };
}

export function fuzzTarget(target: FuzzTarget, options: FuzzOptions): FuzzResult {
  const slowMs = options.slowMs ?? 5000;
  let accepted = 0;
  const rejected: Record<string, number> = {};
  const details = fc.check(
    fc.property(mutatedInput(target.samples, target.shape), (input) => {
      const started = performance.now();
      let outcome: string;
      try {
        target.check(input);
        outcome = 'accepted';
      } catch (e) {
        if (!isFleetlogError(e) || !target.codes.includes(e.code)) throw e;
        outcome = e.code;
      }
      const took = performance.now() - started;
      if (took > slowMs) throw new Error(`one call took ${took.toFixed(0)} ms (more than ${slowMs} ms)`);
      if (outcome === 'accepted') accepted++;
      else rejected[outcome] = (rejected[outcome] ?? 0) + 1;
    }),
    {
      numRuns: options.iterations,
      seed: options.seed,
      ...(options.seconds === undefined
        ? {}
        : { interruptAfterTimeLimit: options.seconds * 1000, markInterruptAsFailure: false }),
    },
  );
  const result = { target: target.name, runs: details.numRuns, accepted, rejected, seed: details.seed };
  if (!details.failed || !details.counterexample) return result;
  const input = details.counterexample[0];
  const error = details.errorInstance;
  return {
    ...result,
    failure: {
      inputHex: toHex(input),
      inputText: new TextDecoder().decode(input).slice(0, 400),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    },
  };
}
