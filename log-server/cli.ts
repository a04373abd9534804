/** `fleetlog log …`: run the append-only log server (init, serve, token, load). */
import type { Command } from 'commander';

export function registerLogCommands(program: Command): void {
  program.command('log').description('run the append-only log server (init, serve, token, load)');
}
