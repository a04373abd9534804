/** `fleetlog log init`: create a log's database and signing key. */
import { Command } from '@commander-js/extra-typings';
import { action } from '../../cli/run.ts';
import { initLog } from '../index.ts';

export function initCommand() {
  return new Command('init')
    .description("create the log database and its signing key (0600) in DIR; prints the log's vkey")
    .requiredOption('--data <dir>', 'data directory (created if missing; an existing log is never overwritten)')
    .requiredOption('--origin <origin>', 'checkpoint origin, also the key name, e.g. log.example.com/fleetlog')
    .action(
      action(async (opts) => {
        const { vkey } = await initLog({ dataDir: opts.data, origin: opts.origin });
        process.stdout.write(`${vkey}\n`);
      }),
    );
}
