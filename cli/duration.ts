/**
 * Durations on the command line and in config files, one syntax everywhere: a decimal number and a
 * unit, `500ms`, `10s`, `2m`, `1h` (`1.5s` too). A bare number is seconds, so `--timeout 20` keeps
 * meaning what it always meant. Results are whole milliseconds.
 */
import { InvalidArgumentError } from '@commander-js/extra-typings';

const UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^([0-9]{1,9})(?:\.([0-9]{1,3}))?(ms|s|m|h)?$/;
/** Longer than any timeout or interval anyone means; keeps the value far from setTimeout's 2^31 ms limit. */
export const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * Parses `text` into milliseconds. Throws commander's InvalidArgumentError (so a bad flag is a
 * usage error naming the option) for anything else: no sign, no spaces, no unit but these four.
 */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m)
    throw new InvalidArgumentError(
      `expected a duration such as 500ms, 10s, 2m or 1h (a bare number is seconds), got ${JSON.stringify(text)}`,
    );
  const unit = UNITS_MS[(m[3] ?? 's') as keyof typeof UNITS_MS];
  const ms = Math.round(Number(`${m[1]}.${m[2] ?? '0'}`) * unit);
  if (ms > MAX_DURATION_MS) throw new InvalidArgumentError(`${text} is longer than the 24h allowed`);
  return ms;
}

/** Milliseconds as the shortest exact duration string (`1500` -> `1500ms`, `60000` -> `1m`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', UNITS_MS.h],
    ['m', UNITS_MS.m],
    ['s', UNITS_MS.s],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
