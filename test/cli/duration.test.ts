// Durations on the command line: one syntax everywhere (cli/duration.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../cli/duration.ts';

describe('parseDuration', () => {
  it('reads each unit, fractions, and a bare number as seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0.25m')).toBe(15_000);
    expect(parseDuration('20')).toBe(20_000);
    expect(parseDuration('0ms')).toBe(0);
  });

  it('refuses signs, spaces, unknown units, empty text and more than 24h, naming the input', () => {
    for (const bad of ['', '-1s', '+1s', '1 s', ' 1s', '1sec', '1d', '1e3ms', '1.s', '.5s', '10S', '1.2345s', '25h'])
      expect(() => parseDuration(bad), bad).toThrow(bad === '25h' ? /longer than the 24h/ : /expected a duration/);
  });

  it('formatDuration is read back by parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
    expect(formatDuration(10_000)).toBe('10s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(86_400_000)).toBe('24h');
  });
});
