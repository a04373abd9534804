/** `fleetlog demo`: the end-to-end run on localhost. */
import { Command } from '@commander-js/extra-typings';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { FAST_KEY_STRETCHING } from '../client/backup-client.ts';
import { runDemo } from '../demo.ts';

export function demoCommand() {
  return new Command('demo')
    .description('end-to-end run: log, witnesses, fleet, backup and audit on localhost')
    .option('--data <dir>', 'keep the databases and keys in this directory (default: a temporary directory, removed)')
    .option('--fast-kdf', 'use a light Argon2id setting in the client (default: the OPAQUE library default)')
    .action(
      action(async (o) => {
        const result = await runDemo({
          ...(o.data ? { dataDir: o.data } : {}),
          ...(o.fastKdf ? { keyStretching: FAST_KEY_STRETCHING } : {}),
        });
        return result.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
