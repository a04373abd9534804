/** `fleetlog sim …` and `fleetlog demo`: the HSM-fleet simulator and the end-to-end run. */
import type { Command } from 'commander';

export function registerSimCommands(program: Command): void {
  program.command('sim').description('simulate an HSM fleet, inject faults, run attack scenarios');
}

export function registerDemoCommand(program: Command): void {
  program.command('demo').description('end-to-end run: log, witnesses, fleet, backup and audit on localhost');
}
