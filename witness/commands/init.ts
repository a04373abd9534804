/** `fleetlog witness init`: create a witness database and its cosigning key. */
import { Command } from '@commander-js/extra-typings';
import { databaseOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { initWitness } from '../index.ts';

export function initCommand() {
  return new Command('init')
    .description('create the witness database and its Ed25519 cosigning key (0600) in DIR; prints the vkey (type 0x04)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'the witness key name, e.g. witness.example/w1')
    .addOption(
      databaseOption('postgres://… URL: keep the state there (DIR then holds only the key; default: SQLite in DIR)'),
    )
    .action(
      action(async (opts) => {
        const { vkey } = await initWitness({ dataDir: opts.data, name: opts.name, database: opts.database });
        process.stdout.write(`${vkey}\n`);
      }),
    );
}
