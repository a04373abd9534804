/** `fleetlog witness …`: the witness's commands, one module each in commands/. */
import { Command } from '@commander-js/extra-typings';
import { initCommand } from './commands/init.ts';
import { addLogCommand } from './commands/add-log.ts';
import { listLogsCommand } from './commands/list-logs.ts';
import { removeLogCommand } from './commands/remove-log.ts';
import { serveCommand } from './commands/serve.ts';

export function witnessCommands() {
  return new Command('witness')
    .description('run an independent C2SP witness (init, add-log, list-logs, remove-log, serve)')
    .addCommand(initCommand())
    .addCommand(addLogCommand())
    .addCommand(listLogsCommand())
    .addCommand(removeLogCommand())
    .addCommand(serveCommand());
}
