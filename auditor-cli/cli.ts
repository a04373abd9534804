/** `fleetlog audit …`: verify fleets, proofs and whole logs (fleet, proof, log, monitor, ...). */
import type { Command } from 'commander';

export function registerAuditCommands(program: Command): void {
  program.command('audit').description('verify fleets, proofs and whole logs (fleet, proof, log, monitor, ...)');
}
