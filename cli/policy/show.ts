/** `fleetlog policy show`: what a policy trusts, in words (or the file itself with --raw). */
import { Command } from '@commander-js/extra-typings';
import { parsePolicy } from '../../core/policy/policy.ts';
import { action } from '../run.ts';
import { readPolicyText } from './policy-file.ts';

export function showCommand() {
  return new Command('show')
    .description('print what a policy trusts: the log, the witnesses and quorum, the fleetlog keys')
    .requiredOption('--policy <file>', 'the policy file')
    .option('--raw', 'print the file as it is')
    .action(
      action((opts) => {
        const text = readPolicyText(opts.policy);
        const policy = parsePolicy(text, { partial: true });
        if (opts.raw) {
          process.stdout.write(text);
          return;
        }
        const out: string[] = [];
        for (const l of policy.logs) out.push(`log            ${l.verifier.key.vkey}${l.url ? `  ${l.url}` : ''}`);
        for (const w of policy.witnesses.values())
          out.push(`witness ${w.name.padEnd(7)}${w.verifier.key.vkey}${w.url ? `  ${w.url}` : ''}`);
        const describe = (name: string): string => {
          const g = policy.groups.get(name);
          return g ? `${g.threshold} of (${g.members.map(describe).join(', ')})` : name;
        };
        out.push(
          `quorum         ${policy.quorum === 'none' ? 'none (no witness needed: fail-open)' : describe(policy.quorum)}`,
        );
        for (const k of policy.publishers) out.push(`publisher      ${k.vkey}`);
        for (const k of policy.countersigners) out.push(`countersigner  ${k.vkey}`);
        for (const k of policy.hsmVendors) out.push(`hsm-vendor     ${k.vkey}`);
        process.stdout.write(`${out.join('\n')}\n`);
      }),
    );
}
