/** `fleetlog witness …`: run an independent C2SP witness (init, add-log, serve). */
import type { Command } from 'commander';

export function registerWitnessCommands(program: Command): void {
  program.command('witness').description('run an independent C2SP witness (init, add-log, serve)');
}
