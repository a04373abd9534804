/**
 * Options that mean the same thing in every command, declared once so their names, units and
 * parsing cannot drift:
 *   --log URL            a log (everywhere a log is meant)
 *   --json               machine-readable output (and JSON errors, cli/run.ts)
 *   --timeout DURATION   --retries N   network commands only; offline commands have neither
 *   --threads N          worker threads, whatever they do in that command
 *   durations            `500ms`, `10s`, `2m` (cli/duration.ts), never a unit in the option name
 *
 * Old spellings stay for one release as hidden aliases (hiddenAlias): they are not in --help, they
 * set the same value, and using one prints a note with the new spelling.
 */
import { type CommandUnknownOpts, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { isPostgresUrl } from '../service/postgres.ts';
import { formatDuration, parseDuration } from './duration.ts';

/** Integer option values (counts, indices, thread numbers) from `min` to `max`, canonical decimals only. */
export function parseCount(max = 1_000_000, min = 0): (value: string) => number {
  return (value) => {
    if (!/^(?:0|[1-9][0-9]{0,15})$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

/** `--log URL`: the log's URL prefix (where /checkpoint and /tile/… are). */
export function logOption(description = 'log URL prefix, e.g. http://127.0.0.1:8080') {
  return new Option('--log <url>', description);
}

export function jsonOption(description = 'machine-readable output (errors too: {"error":{"code","message"}})') {
  return new Option('--json', description);
}

/** A duration option (`--timeout 20s`), parsed to milliseconds, with its default shown in --help. */
export function durationOption<const F extends `--${string} <duration>`>(
  flags: F,
  description: string,
  defaultMs: number,
  minMs = 0,
) {
  return new Option(flags, description)
    .argParser((text: string) => {
      const ms = parseDuration(text);
      if (ms < minMs) throw new InvalidArgumentError(`must be at least ${formatDuration(minMs)}`);
      return ms;
    })
    .default(defaultMs, formatDuration(defaultMs));
}

/** `--timeout`: the deadline of one HTTP request, body included. */
export function timeoutOption(defaultMs = 20_000) {
  return durationOption('--timeout <duration>', 'deadline for each HTTP request, body included', defaultMs, 1);
}

/** `--retries`: extra attempts after a network error or a 5xx. */
export function retriesOption(defaultRetries = 2) {
  return new Option('--retries <n>', 'extra attempts after a network error or a 5xx')
    .argParser(parseCount(100))
    .default(defaultRetries);
}

/**
 * `--database URL`: a postgres:// URL for the state of a log or witness (several processes may then
 * share it); absent, the state is SQLite in the data directory.
 */
export function databaseOption(
  description = "postgres://… URL of the database shared by this server's processes (default: SQLite in --data)",
) {
  return new Option('--database <url>', description).argParser((value: string) => {
    if (!isPostgresUrl(value))
      throw new InvalidArgumentError(`expected a postgres:// or postgresql:// URL (SQLite is the default, in --data)`);
    try {
      new URL(value);
    } catch {
      throw new InvalidArgumentError('not a valid URL');
    }
    return value;
  });
}

/** `--threads N`: the one name for worker threads. */
export function threadsOption(description: string, max = 64) {
  return new Option('--threads <n>', description).argParser(parseCount(max));
}

/**
 * Adds `flags` as a hidden old spelling of the option stored under `attribute` (its camelCase
 * name). `parse` turns the old value into the new option's value (e.g. milliseconds from `-ms`).
 * Kept for one release; using it prints a note with `advice` (e.g. "use --log URL") to stderr.
 */
export function hiddenAlias(
  cmd: CommandUnknownOpts,
  flags: string,
  attribute: string,
  advice: string,
  parse: (value: string) => unknown = (v) => v,
): void {
  const alias = new Option(flags).hideHelp().argParser((value: string) => {
    const parsed = parse(value);
    process.stderr.write(`fleetlog: note: ${alias.long} is deprecated and will be removed; ${advice}\n`);
    return parsed;
  });
  // Commander stores an option's value under attributeName(); pointing it at the new option's name
  // makes the old spelling set the very same value (and satisfy a required option).
  Object.defineProperty(alias, 'attributeName', { value: () => attribute });
  cmd.addOption(alias);
}

/** Parses an old millisecond option (`--witness-timeout-ms 500`) into the same milliseconds. */
export const parseMilliseconds = (value: string): number => parseDuration(`${value}ms`);

/** Parses an old seconds option into milliseconds. */
export const parseSeconds = (value: string): number => parseDuration(`${value}s`);
