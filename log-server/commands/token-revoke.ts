/** `fleetlog log token revoke`: revoke the active token with a name (effective on the next request). */
import { Command } from '@commander-js/extra-typings';
import { databaseOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { revokeToken } from '../index.ts';

export function tokenRevokeCommand() {
  return new Command('revoke')
    .description('revoke the active token with this name (takes effect on the next request)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'token name')
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        if (!(await revokeToken({ dataDir: opts.data, name: opts.name, database: opts.database })))
          throw new FleetlogError('not_found', `no active token named ${JSON.stringify(opts.name)}`);
        process.stdout.write(`revoked ${opts.name}\n`);
      }),
    );
}
