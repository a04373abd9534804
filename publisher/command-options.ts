/**
 * Option parsers and prompts the `fleet` commands share: durations with units, times, the
 * submitter token (from a file or the environment, never from the command line, where `ps` shows
 * it), and the countersigner's confirmation.
 */
import { statSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { FleetlogError } from '../core/errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90d", "12h", "30m", "45s", "500ms" -> milliseconds. A bare number is refused: say the unit. */
export function parseDurationMs(text: string, what = 'duration'): number {
  const m = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/.exec(text);
  if (!m)
    throw new FleetlogError(
      'usage',
      `${what} ${JSON.stringify(text)} is not a duration like 90d, 12h, 30m, 45s or 500ms`,
    );
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** "now", seconds since the epoch, or an ISO 8601 date/time ("2027-01-01", "2027-01-01T00:00:00Z") -> seconds. */
export function parseTimeSeconds(text: string, what = 'time'): number {
  if (text === 'now') return Math.floor(Date.now() / 1000);
  if (/^[0-9]{1,16}$/.test(text)) return Number(text);
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.test(text)) {
    const ms = Date.parse(/T| /.test(text) && !/Z|[+-][0-9]{2}:[0-9]{2}$/.test(text) ? `${text}Z` : text);
    if (Number.isFinite(ms) && ms >= 0) return Math.floor(ms / 1000);
  }
  throw new FleetlogError(
    'usage',
    `${what} ${JSON.stringify(text)} is not "now", seconds since the epoch, or an ISO 8601 UTC date`,
  );
}

export function parseVersion(text: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new FleetlogError('usage', `--keyset-version ${JSON.stringify(text)} must be an integer of at least 1`);
  return Number(text);
}

/** The submitter's bearer token: --token-file (mode 0600), else FLEETLOG_TOKEN. */
export function readToken(tokenFile: string | undefined): string {
  if (tokenFile === undefined) {
    const env = process.env.FLEETLOG_TOKEN?.trim();
    if (!env)
      throw new FleetlogError(
        'usage',
        'no submitter token: pass --token-file FILE (mode 0600) or set FLEETLOG_TOKEN (from fleetlog log token add)',
      );
    return env;
  }
  let mode: number;
  try {
    mode = statSync(tokenFile).mode;
  } catch (e) {
    throw new FleetlogError('io', `cannot read token file ${tokenFile}: ${(e as NodeJS.ErrnoException).code}`);
  }
  if ((mode & 0o077) !== 0)
    throw new FleetlogError('io', `token file ${tokenFile} is readable by group or others; run chmod 600 ${tokenFile}`);
  const token = readFileSync(tokenFile, 'utf8').trim();
  if (!token) throw new FleetlogError('usage', `token file ${tokenFile} is empty`);
  return token;
}

/** Asks on the terminal (or reads one line of standard input); true only for "y" or "yes". */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  try {
    const answer = await Promise.race([
      rl.question(question),
      new Promise<string>((resolve) => rl.once('close', () => resolve(''))),
    ]);
    // A piped answer is not echoed: end the prompt's line so the next message starts on its own.
    if (process.stdin.isTTY !== true) process.stderr.write('\n');
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
