/**
 * `fleetlog audit …`: verify fleets, proofs and whole logs without trusting the operator. One
 * module per command in commands/; their human output is in human.ts, the checks elsewhere in
 * this folder. Every command: --json for machine-readable output (errors too); exit 0 verified,
 * 1 verification failed, 2 usage / network / I/O error (cli/run.ts); human output names each spec
 * step (specs/audit.md).
 */
import { Command } from '@commander-js/extra-typings';
import { checkpointCommand } from './commands/checkpoint.ts';
import { consistencyCommand } from './commands/consistency.ts';
import { exportProofCommand } from './commands/export-proof.ts';
import { fleetCommand } from './commands/fleet.ts';
import { inclusionCommand } from './commands/inclusion.ts';
import { logCommand } from './commands/log.ts';
import { monitorCommand } from './commands/monitor.ts';
import { proofCommand } from './commands/proof.ts';

export function auditCommands() {
  return new Command('audit')
    .description(
      'verify fleets, proofs and whole logs (fleet, proof, checkpoint, inclusion, consistency, export-proof, log, monitor)',
    )
    .addHelpText('after', '\nExit status: 0 verified or trusted, 1 verification failed, 2 usage, network or I/O error.')
    .addCommand(fleetCommand())
    .addCommand(proofCommand())
    .addCommand(checkpointCommand())
    .addCommand(inclusionCommand())
    .addCommand(consistencyCommand())
    .addCommand(exportProofCommand())
    .addCommand(logCommand())
    .addCommand(monitorCommand());
}
