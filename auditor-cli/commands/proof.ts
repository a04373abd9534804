/** `fleetlog audit proof`: an offline tlog-proof or fleet bundle. Offline, so no network options. */
import { Command } from '@commander-js/extra-typings';
import { hiddenAlias, jsonOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { loadPolicyFile, readCappedFile } from '../files.ts';
import { proofReport } from '../human.ts';
import { printHuman, printJson } from '../output.ts';
import { auditProof } from '../proof-audit.ts';
import { MAX_FLEET_BUNDLE_BYTES } from '../tiles-client.ts';
import { unixTimeOption } from './fleet.ts';
import { readFileBytes } from './inputs.ts';

export function proofCommand() {
  const cmd = new Command('proof')
    .description('verify an offline C2SP tlog-proof and its entry (or a fleet bundle), with no network')
    .argument('<file>', 'the tlog-proof or fleet bundle')
    .requiredOption('--policy <file>', 'trust policy')
    .option('--entry <file>', "the entry's bytes, when the proof has no extra line")
    .addOption(unixTimeOption())
    .addOption(jsonOption());
  // Offline: these did nothing here. Accepted (hidden) for one release so old scripts still run.
  hiddenAlias(cmd, '--timeout <duration>', 'ignoredTimeout', 'audit proof is offline and ignores it');
  hiddenAlias(cmd, '--retries <n>', 'ignoredRetries', 'audit proof is offline and ignores it');
  return cmd.action(
    action(async (file, o) => {
      const { policy } = loadPolicyFile(o.policy);
      const text = readCappedFile(file, MAX_FLEET_BUNDLE_BYTES, 'proof file')!.toString('utf8');
      const entry = o.entry ? readFileBytes(o.entry, MAX_ENTRY_BYTES, 'entry file') : undefined;
      const r = await auditProof({
        text,
        policy,
        ...(entry ? { entry } : {}),
        ...(o.now !== undefined ? { now: o.now } : {}),
      });
      if (o.json) printJson({ command: 'audit proof', ...r });
      else printHuman(proofReport(file, r));
      return r.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
    }),
  );
}
