/**
 * The `fleetlog` executable: builds the command tree (program.ts), runs it, and turns what
 * commander throws into exit codes.
 */
import { CommanderError } from '@commander-js/extra-typings';
import { buildProgram } from './program.ts';
import { EXIT_ERROR, exitCodeFor, printError, wantsJson } from './run.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; every other commander failure is a usage error, already printed.
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
  } else {
    // An error while commander parsed (e.g. an unreadable --config file), before any action ran.
    printError(e, { json: wantsJson() });
    process.exitCode = exitCodeFor(e);
  }
}
