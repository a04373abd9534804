/**
 * Log lines a third party can trigger at will (refused requests, split-view replays) go through a
 * throttle: at most one line per key per interval, and the next line that gets through says how
 * many were suppressed. Without it, anyone can fill the operator's disk with junk requests.
 */
import type { Logger, LogLevel } from './logger.ts';

export interface LogThrottle {
  /** Emits at `level` unless a line with this key was emitted less than the interval ago. */
  log(level: LogLevel, key: string, msg: string, fields?: Record<string, unknown>): void;
}

/** Keys are kept only for one interval and capped in number, so the throttle's own memory is bounded. */
const MAX_KEYS = 1024;

export function createLogThrottle(logger: Logger, intervalMs = 60_000, now: () => number = Date.now): LogThrottle {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    log(level, key, msg, fields) {
      const t = now();
      const entry = last.get(key);
      if (entry && t - entry.at < intervalMs) {
        entry.suppressed++;
        return;
      }
      if (!entry && last.size >= MAX_KEYS) {
        for (const [k, e] of last) if (t - e.at >= intervalMs) last.delete(k);
        if (last.size >= MAX_KEYS) return; // a flood of distinct keys: drop rather than grow
      }
      const suppressed = entry?.suppressed ?? 0;
      last.set(key, { at: t, suppressed: 0 });
      logger[level](msg, suppressed > 0 ? { ...fields, suppressed } : fields);
    },
  };
}
