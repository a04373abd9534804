/**
 * The `fleetlog` executable: one subcommand group per role. Each role registers its own commands
 * from its folder, so this file only wires them together.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from '../auditor-cli/cli.ts';
import { registerLogCommands } from '../log-server/cli.ts';
import { registerDemoCommand, registerSimCommands } from '../simulator/cli.ts';
import { registerWitnessCommands } from '../witness/cli.ts';
import { fleetCommand } from '../publisher/cli.ts';
import { registerKeygen } from './keygen.ts';
import { keyCommand } from './key.ts';
import { registerNote } from './note.ts';
import { policyCommand } from './policy/index.ts';
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
  adopt(program, fleetCommand() as unknown as Command);
  registerSimCommands(program);
  registerDemoCommand(program);
  registerKeygen(program);
  adopt(program, keyCommand() as unknown as Command);
  adopt(program, policyCommand() as unknown as Command);
  registerNote(program);
  return program;
}

/**
 * Adds a command built on its own (one module per command) with the program's settings (exit
 * override, help after errors), which commander copies only to commands made with .command().
 */
function adopt(program: Command, command: Command): void {
  const inherit = (c: Command, parent: Command): void => {
    c.copyInheritedSettings(parent);
    for (const sub of c.commands) inherit(sub, c);
  };
  inherit(command, program);
  program.addCommand(command);
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
