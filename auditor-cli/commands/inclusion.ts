/** `fleetlog audit inclusion`: one entry is in the current tree (step 2), the proof computed from tiles. */
import { Command } from '@commander-js/extra-typings';
import { jsonOption, logOption, parseCount, retriesOption, timeoutOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { fromHex } from '../../core/bytes.ts';
import { MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { FleetlogError } from '../../core/errors.ts';
import { leafHash as hashLeaf } from '../../core/merkle/hash.ts';
import { MAX_TREE_SIZE } from '../../core/decimal.ts';
import { loadPolicyFile } from '../files.ts';
import { liveReport } from '../human.ts';
import { lookupLeafIndex } from '../leaf-lookup.ts';
import { auditInclusion } from '../low-level.ts';
import { printHuman, printJson, proofJson } from '../output.ts';
import { TilesClient } from '../tiles-client.ts';
import { network, readClientState, readFileBytes } from './inputs.ts';

export function inclusionCommand() {
  return new Command('inclusion')
    .description(
      "prove one entry is in the current tree (step 2), with the proof computed from tiles; give --index, or --entry / --leaf-hash to find the index with the log's lookup",
    )
    .addOption(logOption().makeOptionMandatory())
    .requiredOption('--policy <file>', 'trust policy')
    .option(
      '--index <n>',
      'entry index (found through the log when only --entry or --leaf-hash is given)',
      parseCount(MAX_TREE_SIZE),
    )
    .option('--entry <file>', "the entry's bytes (default: read it from the log's entry bundle)")
    .option('--leaf-hash <hex>', 'the RFC 9162 leaf hash instead of the entry')
    .option('--state <file>', 'also check consistency with the last checkpoint in this client state file')
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .action(
      action(async (o) => {
        const { policy } = loadPolicyFile(o.policy);
        if (o.entry && o.leafHash) throw new FleetlogError('usage', 'give --entry or --leaf-hash, not both');
        const entry = o.entry ? readFileBytes(o.entry, MAX_ENTRY_BYTES, 'entry file') : undefined;
        const leafHash = o.leafHash ? fromHex(o.leafHash, 32, '--leaf-hash') : undefined;
        const leaf = entry ? hashLeaf(entry) : leafHash;
        if (o.index === undefined && !leaf)
          throw new FleetlogError('usage', 'give --index, or --entry / --leaf-hash to find the index through the log');
        const index = o.index ?? (await lookupLeafIndex(new TilesClient(o.log, network(o)), leaf!));
        const state = o.state ? readClientState(o.state) : undefined;
        const r = await auditInclusion({
          log: o.log,
          policy,
          index,
          ...(entry ? { entry } : {}),
          ...(leafHash ? { leafHash } : {}),
          ...(state ? { state } : {}),
          ...network(o),
        });
        if (o.json)
          printJson({
            command: 'audit inclusion',
            ok: r.ok,
            index,
            leafHash: r.leafHash,
            checkpoint: r.checkpoint,
            checks: r.checks,
            proof: proofJson(r.proof),
          });
        else
          printHuman(
            liveReport(
              r,
              `audit inclusion ${o.log} index ${index}${o.index === undefined ? ' (found through the log)' : ''}${r.checkpoint ? ` in ${r.checkpoint.origin}@${r.checkpoint.size}` : ''}`,
              'inclusion proof path, computed from tiles',
            ),
          );
        return r.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
