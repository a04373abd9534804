/** `fleetlog audit export-proof`: an offline C2SP tlog-proof for one entry. */
import { writeFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { jsonOption, logOption, parseCount, retriesOption, timeoutOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { MAX_TREE_SIZE } from '../../core/decimal.ts';
import { exportProof } from '../export-proof.ts';
import { loadPolicyFile } from '../files.ts';
import { checksBlock, printJson, proofJson } from '../output.ts';
import { network } from './inputs.ts';

export function exportProofCommand() {
  return new Command('export-proof')
    .description('write an offline C2SP tlog-proof for one entry (entry bytes in the extra line) to stdout')
    .addOption(logOption().makeOptionMandatory())
    .requiredOption('--index <n>', 'entry index', parseCount(MAX_TREE_SIZE))
    .option('--policy <file>', 'verify the checkpoint (steps 3, 4) before exporting; recommended')
    .option('--out <file>', 'write to this file instead of stdout')
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .action(
      action(async (o) => {
        const policy = o.policy ? loadPolicyFile(o.policy).policy : undefined;
        const r = await exportProof({ log: o.log, index: o.index, ...(policy ? { policy } : {}), ...network(o) });
        if (!r.ok || r.text === undefined) {
          process.stderr.write(
            `${checksBlock(r.checks)}\nfleetlog: not exporting a proof against a checkpoint that does not verify\n`,
          );
          return EXIT_VERIFY_FAILED;
        }
        if (!r.checkpointVerified)
          process.stderr.write(
            'fleetlog: warning: no --policy, so the checkpoint signatures were not checked (the recipient must check them)\n',
          );
        if (o.out) writeFileSync(o.out, r.text);
        else if (o.json)
          printJson({
            command: 'audit export-proof',
            checkpoint: r.checkpoint,
            proof: proofJson(r.proof),
            tlogProof: r.text,
          });
        else process.stdout.write(r.text);
        return EXIT_OK;
      }),
    );
}
