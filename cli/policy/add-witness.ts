/** `fleetlog policy add-witness`: add a witness from its vkey and URL, or read the vkey from the running witness. */
import { Command } from '@commander-js/extra-typings';
import { FleetlogError } from '../../core/errors.ts';
import { addWitness } from '../../core/policy/policy-edit.ts';
import { action } from '../run.ts';
import { readPolicyText, writePolicyText } from './policy-file.ts';
import { witnessKeyFromServer } from './server-keys.ts';

export function addWitnessCommand() {
  return new Command('add-witness')
    .description('add a witness (its vkey and URL); without --vkey, the vkey is read from the running witness at --url')
    .requiredOption('--policy <file>', 'the policy file to edit')
    .requiredOption('--name <name>', 'the name the policy uses for it in groups (e.g. w1)')
    .option('--url <url>', "the witness's URL (the log sends checkpoints there to be cosigned)")
    .option('--vkey <vkey>', "the witness's vkey (type 0x04, from fleetlog witness init)")
    .action(
      action(async (opts) => {
        const text = readPolicyText(opts.policy);
        let vkey = opts.vkey;
        if (vkey === undefined) {
          if (opts.url === undefined)
            throw new FleetlogError('usage', 'give --vkey, or --url of a running witness to read it from');
          vkey = await witnessKeyFromServer(opts.url);
          process.stderr.write(
            `read the witness's vkey from ${opts.url}/health: ${vkey} (confirm it with the witness's operator)\n`,
          );
        }
        writePolicyText(opts.policy, addWitness(text, opts.name, vkey, opts.url));
        process.stdout.write(`added witness ${opts.name} (${vkey.split('+')[0]}) to ${opts.policy}\n`);
      }),
    );
}
