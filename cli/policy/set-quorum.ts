/** `fleetlog policy set-quorum`: k of n witnesses (a group), or none. */
import { Command } from '@commander-js/extra-typings';
import { QUORUM_GROUP, setQuorum } from '../../core/policy/policy-edit.ts';
import { action } from '../run.ts';
import { readPolicyText, writePolicyText } from './policy-file.ts';

export function setQuorumCommand() {
  return new Command('set-quorum')
    .description(`require K of the witnesses to cosign (writes group ${QUORUM_GROUP} and the quorum line), or none`)
    .requiredOption('--policy <file>', 'the policy file to edit')
    .requiredOption('--threshold <k>', 'how many must cosign: a number, all, any, or none (no witnesses: fail-open)')
    .option('--witnesses <names...>', 'which witnesses (default: all in the policy)')
    .action(
      action((opts) => {
        const text = setQuorum(readPolicyText(opts.policy), opts.threshold, opts.witnesses);
        writePolicyText(opts.policy, text);
        const line = text.split('\n').find((l) => l.startsWith(`group ${QUORUM_GROUP} `));
        process.stdout.write(
          `${opts.threshold === 'none' ? 'quorum none' : `quorum: ${line?.slice(6)}`} in ${opts.policy}\n`,
        );
      }),
    );
}
