/** `fleetlog log init`: create a log's database and signing key. */
import { Command } from '@commander-js/extra-typings';
import { databaseOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { initLog } from '../index.ts';

export function initCommand() {
  return new Command('init')
    .description("create the log database and its signing key (0600) in DIR; prints the log's vkey")
    .requiredOption('--data <dir>', 'data directory (created if missing; an existing log is never overwritten)')
    .requiredOption('--origin <origin>', 'checkpoint origin, also the key name, e.g. log.example.com/fleetlog')
    .addOption(
      databaseOption('postgres://… URL: create the log there (DIR then holds only the key; default: SQLite in DIR)'),
    )
    .action(
      action(async (opts) => {
        const { vkey } = await initLog({ dataDir: opts.data, origin: opts.origin, database: opts.database });
        process.stdout.write(`${vkey}\n`);
      }),
    );
}
