/** `fleetlog audit consistency`: the current tree extends an earlier one (step 5), the proof computed from tiles. */
import { Command } from '@commander-js/extra-typings';
import { jsonOption, logOption, parseCount, retriesOption, timeoutOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import type { SeenCheckpoint } from '../../core/audit/steps.ts';
import { toHex } from '../../core/bytes.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from '../../core/checkpoint.ts';
import { MAX_TREE_SIZE } from '../../core/decimal.ts';
import { FleetlogError } from '../../core/errors.ts';
import { openCheckpointWithPolicy } from '../../core/policy/checkpoint-trust.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { loadPolicyFile, readCappedFile } from '../files.ts';
import { liveReport } from '../human.ts';
import { auditConsistency } from '../low-level.ts';
import { printHuman, printJson, proofJson } from '../output.ts';
import { network, rootArgument, seenFromStateFile } from './inputs.ts';

function oldCheckpoint(
  policy: Policy,
  o: { oldSize?: number; oldRoot?: string; oldCheckpoint?: string; state?: string },
): SeenCheckpoint {
  if (o.oldCheckpoint) {
    const note = readCappedFile(o.oldCheckpoint, MAX_CHECKPOINT_NOTE_BYTES, 'checkpoint file')!.toString('utf8');
    const cp = openCheckpointWithPolicy(policy, note).checkpoint;
    return { origin: cp.origin, size: cp.size, rootHash: toHex(cp.rootHash) };
  }
  if (o.state) return seenFromStateFile(o.state);
  if (o.oldSize !== undefined && o.oldRoot !== undefined) {
    const origin = policy.logs[0]?.verifier.name;
    if (policy.logs.length !== 1 || origin === undefined)
      throw new FleetlogError('usage', 'with --old-size/--old-root the policy must name exactly one log');
    return { origin, size: o.oldSize, rootHash: rootArgument(o.oldRoot) };
  }
  throw new FleetlogError('usage', 'give --old-checkpoint FILE, --state FILE, or --old-size N with --old-root HASH');
}

export function consistencyCommand() {
  return new Command('consistency')
    .description('prove the current tree extends an earlier one (step 5), with the proof computed from tiles')
    .addOption(logOption().makeOptionMandatory())
    .requiredOption('--policy <file>', 'trust policy')
    .option('--old-size <n>', 'earlier tree size (with --old-root)', parseCount(MAX_TREE_SIZE))
    .option('--old-root <hash>', 'earlier root hash, base64 or hex')
    .option('--old-checkpoint <file>', 'earlier signed checkpoint (verified with the policy)')
    .option('--state <file>', 'take the earlier checkpoint from an audit state file')
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .action(
      action(async (o) => {
        const { policy } = loadPolicyFile(o.policy);
        const old = oldCheckpoint(policy, o);
        const r = await auditConsistency({ log: o.log, policy, old, ...network(o) });
        if (o.json)
          printJson({
            command: 'audit consistency',
            ok: r.ok,
            old,
            checkpoint: r.checkpoint,
            checks: r.checks,
            proof: proofJson(r.proof),
          });
        else
          printHuman(
            liveReport(
              r,
              `audit consistency ${o.log}: ${old.size} -> ${r.checkpoint?.size ?? '?'}`,
              'consistency proof path, computed from tiles',
            ),
          );
        return r.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
