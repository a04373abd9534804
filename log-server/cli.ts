/** `fleetlog log …`: the log server's commands, one module each in commands/. */
import { Command } from '@commander-js/extra-typings';
import { initCommand } from './commands/init.ts';
import { loadCommand } from './commands/load.ts';
import { serveCommand } from './commands/serve.ts';
import { tokenCommands } from './commands/token.ts';

export function logCommands() {
  return new Command('log')
    .description('run the append-only log server (init, serve, token, load)')
    .addCommand(initCommand())
    .addCommand(serveCommand())
    .addCommand(tokenCommands())
    .addCommand(loadCommand());
}
