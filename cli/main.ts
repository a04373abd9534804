/**
 * The `fleetlog` executable: one subcommand group per role. Each role registers its own commands
 * from its folder, so this file only wires them together.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from '../auditor-cli/cli.ts';
import { registerLogCommands } from '../log-server/cli.ts';
import { registerDemoCommand, registerSimCommands } from '../simulator/cli.ts';
import { registerWitnessCommands } from '../witness/cli.ts';
import { registerKeygen } from './keygen.ts';
import { registerNote } from './note.ts';
import { EXIT_ERROR } from './run.ts';

export function buildProgram(): Command {
  const program = new Command('fleetlog')
    .description(
      'Transparency log, witness and auditor for HSM fleet keys (RFC 9162, C2SP tlog-tiles/witness/checkpoint)',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerLogCommands(program);
  registerWitnessCommands(program);
  registerAuditCommands(program);
  registerSimCommands(program);
  registerDemoCommand(program);
  registerKeygen(program);
  registerNote(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; every other commander failure is a usage error.
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
  } else {
    throw e;
  }
}
