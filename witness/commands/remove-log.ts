/** `fleetlog witness remove-log`: stop cosigning for a log (its state is kept). */
import { Command } from '@commander-js/extra-typings';
import { action } from '../../cli/run.ts';
import { removeLog } from '../index.ts';

export function removeLogCommand() {
  return new Command('remove-log')
    .description('stop cosigning for a log (its last cosigned state is kept, so re-adding it cannot roll back)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .action(action((opts) => removeLog({ dataDir: opts.data, origin: opts.origin })));
}
