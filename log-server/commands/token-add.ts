/** `fleetlog log token add`: a new submitter token, printed once (only its SHA-256 is stored). */
import { Command } from '@commander-js/extra-typings';
import { databaseOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { addToken } from '../index.ts';

export function tokenAddCommand() {
  return new Command('add')
    .description('create a token; it is printed once and only its SHA-256 is stored')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'who the token is for')
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        process.stdout.write(`${await addToken({ dataDir: opts.data, name: opts.name, database: opts.database })}\n`);
      }),
    );
}
