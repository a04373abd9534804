/** `fleetlog witness add-log`: trust a log's key for an origin. */
import { Command } from '@commander-js/extra-typings';
import { databaseOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { parseVerifierKey } from '../../core/note/keys.ts';
import { addLog, addLogAt } from '../index.ts';

export function addLogCommand() {
  return new Command('add-log')
    .description("trust a log's Ed25519 key (vkey type 0x01) for checkpoints with this origin")
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .requiredOption('--vkey <vkey>', "the log's verifier key")
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        if (opts.database) await addLogAt({ database: opts.database, origin: opts.origin, vkey: opts.vkey });
        else addLog({ dataDir: opts.data, origin: opts.origin, vkey: opts.vkey });
        const name = parseVerifierKey(opts.vkey.trim()).name;
        if (name !== opts.origin)
          process.stderr.write(
            `fleetlog: note: the key name ${name} differs from the origin (allowed, but C2SP says it SHOULD match)\n`,
          );
      }),
    );
}
