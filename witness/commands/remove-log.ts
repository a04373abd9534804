/** `fleetlog witness remove-log`: stop cosigning for a log (its state is kept). */
import { Command } from '@commander-js/extra-typings';
import { databaseOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { removeLog, removeLogAt } from '../index.ts';

export function removeLogCommand() {
  return new Command('remove-log')
    .description('stop cosigning for a log (its last cosigned state is kept, so re-adding it cannot roll back)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        if (opts.database) await removeLogAt({ database: opts.database, origin: opts.origin });
        else removeLog({ dataDir: opts.data, origin: opts.origin });
      }),
    );
}
