/** `fleetlog policy add-role`: pin a publisher, countersigner or HSM vendor key. */
import { Command, Option } from '@commander-js/extra-typings';
import { addRole, POLICY_ROLES } from '../../core/policy/policy-edit.ts';
import { action } from '../run.ts';
import { readPolicyText, writePolicyText } from './policy-file.ts';

export function addRoleCommand() {
  return new Command('add-role')
    .description('pin a key that may publish fleet key sets, counter-sign them, or attest HSMs')
    .requiredOption('--policy <file>', 'the policy file to edit')
    .addOption(new Option('--role <role>', 'what the key may do').choices(POLICY_ROLES).makeOptionMandatory())
    .requiredOption('--vkey <vkey>', 'the vkey (type 0x01, from fleetlog keygen --type ROLE or fleetlog key vkey)')
    .action(
      action((opts) => {
        writePolicyText(opts.policy, addRole(readPolicyText(opts.policy), opts.role, opts.vkey));
        process.stdout.write(`pinned ${opts.role} ${opts.vkey.split('+')[0]} in ${opts.policy}\n`);
      }),
    );
}
