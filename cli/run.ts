/**
 * Shared plumbing for subcommands: exit codes, reading stdin, printing errors.
 *   0 = success / verified / trusted
 *   1 = verification failed (the input was understood and is not valid)
 *   2 = usage, network or I/O error (we could not decide)
 */
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

export function printError(error: unknown): void {
  if (isFleetlogError(error)) process.stderr.write(`fleetlog: ${error.code}: ${error.message}\n`);
  else process.stderr.write(`fleetlog: ${error instanceof Error ? error.message : String(error)}\n`);
}

/** Runs a command body, mapping thrown errors to the exit codes above. */
export function action<A extends unknown[]>(
  // biome-ignore lint/suspicious/noConfusingVoidType: a body may return an exit code or nothing; void lets plain `async () => {}` bodies through.
  body: (...args: A) => Promise<number | void> | number | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await body(...args);
      process.exitCode = code ?? EXIT_OK;
    } catch (e) {
      printError(e);
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
