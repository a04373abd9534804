/** `fleetlog policy init`: start a policy from a log's vkey and URL (or ask the running log). */
import { Command } from '@commander-js/extra-typings';
import { FleetlogError } from '../../core/errors.ts';
import { initPolicy } from '../../core/policy/policy-edit.ts';
import { action } from '../run.ts';
import { writePolicyText } from './policy-file.ts';
import { logKeyFromServer } from './server-keys.ts';

export function initCommand() {
  return new Command('init')
    .description('start a policy that trusts one log (quorum none until witnesses are added); refuses to overwrite')
    .requiredOption('--policy <file>', 'the policy file to create')
    .option('--log-url <url>', "the log's URL (clients and auditors fetch from it)")
    .option(
      '--log-vkey <vkey>',
      "the log's vkey (from fleetlog log init); without it, read from the running log at --log-url",
    )
    .action(
      action(async (opts) => {
        let vkey = opts.logVkey;
        if (vkey === undefined) {
          if (opts.logUrl === undefined)
            throw new FleetlogError('usage', 'give --log-vkey, or --log-url of a running log to read it from');
          vkey = (await logKeyFromServer(opts.logUrl)).vkey;
          process.stderr.write(
            `read the log's vkey from ${opts.logUrl}/health: ${vkey} (compare it with the output of fleetlog log init)\n`,
          );
        }
        writePolicyText(opts.policy, initPolicy(vkey, opts.logUrl), { create: true });
        process.stdout.write(`wrote ${opts.policy}: log ${vkey.split('+')[0]}; next: fleetlog policy add-witness\n`);
      }),
    );
}
