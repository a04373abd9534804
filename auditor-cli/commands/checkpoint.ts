/** `fleetlog audit checkpoint`: the log's checkpoint (steps 3, 4) and its consistency with the last one seen (step 5). */
import { Command } from '@commander-js/extra-typings';
import { jsonOption, logOption, retriesOption, timeoutOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { loadPolicyFile } from '../files.ts';
import { liveReport } from '../human.ts';
import { auditCheckpoint } from '../low-level.ts';
import { printHuman, printJson, proofJson } from '../output.ts';
import { network, readClientState, saveClientState } from './inputs.ts';

export function checkpointCommand() {
  return new Command('checkpoint')
    .description("verify the log's checkpoint (steps 3, 4) and its consistency with the last one seen (step 5)")
    .addOption(logOption().makeOptionMandatory())
    .requiredOption('--policy <file>', 'trust policy')
    .option('--state <file>', 'client state file (same format as audit fleet); updated when verified')
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .action(
      action(async (o) => {
        const { policy } = loadPolicyFile(o.policy);
        const r = await auditCheckpoint({ log: o.log, policy, state: readClientState(o.state), ...network(o) });
        if (r.ok) saveClientState(o.state, r.state);
        if (o.json)
          printJson({
            command: 'audit checkpoint',
            ok: r.ok,
            checkpoint: r.checkpoint,
            checks: r.checks,
            proof: proofJson(r.proof),
          });
        else
          printHuman(
            liveReport(
              r,
              `audit checkpoint ${o.log}${r.checkpoint ? ` (${r.checkpoint.origin}@${r.checkpoint.size})` : ''}`,
              'consistency proof path, computed from tiles',
              `VERIFIED: tree size ${r.checkpoint?.size}, root ${r.checkpoint?.rootHash}`,
            ),
          );
        return r.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
