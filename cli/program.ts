/**
 * The `fleetlog` command tree: one subcommand group per role. Each role declares its commands in its
 * own `commands/` folder (one module per command) and exports the group from its `cli.ts`; this
 * file only wires the groups together. Apart from main.ts so that tests can walk the tree (every
 * command described, every command the README names present) without running it.
 */
import { Command } from '@commander-js/extra-typings';
import { auditCommands } from '../auditor-cli/cli.ts';
import { logCommands } from '../log-server/cli.ts';
import { demoCommand, simCommands } from '../simulator/cli.ts';
import { witnessCommands } from '../witness/cli.ts';
import { fleetCommand } from '../publisher/cli.ts';
import { keyCommand } from './key.ts';
import { keygenCommand } from './keygen.ts';
import { noteCommands } from './note.ts';
import { policyCommand } from './policy/index.ts';
import { applyCliConventions } from './usage.ts';

export function buildProgram(): Command {
  const program = new Command('fleetlog')
    .description(
      'Transparency log, witness and auditor for HSM fleet keys (RFC 9162, C2SP tlog-tiles/witness/checkpoint)',
    )
    .version('0.1.0')
    .addHelpText(
      'after',
      '\nExit status: 0 success (verified, trusted), 1 verification failed, 2 usage, network or I/O error.',
    )
    .addCommand(logCommands())
    .addCommand(witnessCommands())
    .addCommand(auditCommands())
    .addCommand(fleetCommand())
    .addCommand(simCommands())
    .addCommand(demoCommand())
    .addCommand(keygenCommand())
    .addCommand(keyCommand())
    .addCommand(policyCommand())
    .addCommand(noteCommands());
  applyCliConventions(program);
  return program;
}
