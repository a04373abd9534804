/**
 * What every command shares when it runs: exit codes, error reports, reading stdin.
 *
 * Exit codes (the same for every command; README "Exit codes"):
 *   0 = success / verified / trusted
 *   1 = verification failed (the input was understood and is not valid)
 *   2 = usage, network or I/O error (we could not decide)
 *
 * Errors are one line on stderr, `fleetlog: <code>: <message>`; a usage error adds a second line
 * that points at the command's --help. With --json the same error is also written to stdout as
 * `{"error":{"code":…,"message":…}}`, so a script that reads stdout always gets JSON.
 */
import { terminalLine } from './terminal-text.ts';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { FleetlogError, isFleetlogError, type ErrorCode } from '../core/errors.ts';

export const EXIT_OK = 0;
export const EXIT_VERIFY_FAILED = 1;
export const EXIT_ERROR = 2;

/** Error codes that mean "we checked and it is not valid" rather than "we could not check". */
const VERIFICATION_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'bad_signature',
  'no_trusted_signature',
  'bad_note',
  'bad_checkpoint',
  'bad_cosignature',
  'bad_proof',
  'bad_tile',
  'quorum_not_met',
  'bad_entry',
  'unknown_entry_type',
  'entry_rejected',
  'audit_failed',
  'inconsistent',
  'rollback',
  'bad_encoding',
]);

export function exitCodeFor(error: unknown): number {
  return isFleetlogError(error) && VERIFICATION_CODES.has(error.code) ? EXIT_VERIFY_FAILED : EXIT_ERROR;
}

/** `fleetlog audit fleet` for the command object of `audit fleet`. */
export function commandPath(cmd: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The second line of a usage error. */
export function helpPointer(cmd: CommandUnknownOpts): string {
  return `run '${commandPath(cmd)} --help' for its options`;
}

export interface ErrorReport {
  readonly code: ErrorCode;
  readonly message: string;
}

export function errorReport(error: unknown): ErrorReport {
  if (isFleetlogError(error)) return { code: error.code, message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Prints one error: a line on stderr, plus the JSON form on stdout when `json` is set. `cmd`, when
 * given, adds the pointer to its --help under a usage error.
 */
export function printError(error: unknown, options: { json?: boolean; cmd?: CommandUnknownOpts } = {}): void {
  writeError(errorReport(error), options);
}

export function writeError(report: ErrorReport, options: { json?: boolean; cmd?: CommandUnknownOpts } = {}): void {
  const pointer = report.code === 'usage' && options.cmd ? `\n${helpPointer(options.cmd)}` : '';
  process.stderr.write(`fleetlog: ${report.code}: ${terminalLine(report.message)}${pointer}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify({ error: report })}\n`);
}

/** True if the user asked for JSON output: the command's own --json, or --json anywhere before `--`. */
export function wantsJson(cmd?: CommandUnknownOpts): boolean {
  if (cmd && (cmd.opts() as { json?: unknown }).json === true) return true;
  const argv = process.argv.slice(2);
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Wraps a command body: its return value is the exit code (default 0), and a thrown error is
 * printed (JSON too under --json) and mapped to the exit codes above. Commander passes the command
 * object last, which is how the error report finds --json and the command's --help.
 */
export function action<A extends unknown[]>(
  // biome-ignore lint/suspicious/noConfusingVoidType: a body that returns nothing means exit 0
  body: (...args: A) => Promise<number | void> | number | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await body(...args);
      process.exitCode = code ?? EXIT_OK;
    } catch (e) {
      const cmd = args[args.length - 1] as CommandUnknownOpts | undefined;
      const isCommand = typeof (cmd as { opts?: unknown } | undefined)?.opts === 'function';
      printError(e, isCommand ? { json: wantsJson(cmd), cmd } : { json: wantsJson() });
      process.exitCode = exitCodeFor(e);
    }
  };
}

export async function readStdin(maxBytes = 16 * 1024 * 1024): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) throw new FleetlogError('too_large', `standard input is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
