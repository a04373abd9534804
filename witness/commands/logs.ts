/** `fleetlog witness add-log|list-logs|remove-log`: the logs a witness cosigns for. */
import { Command } from '@commander-js/extra-typings';
import { databaseOption, jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { parseVerifierKey } from '../../core/note/keys.ts';
import { addLog, addLogAt, listLogs, listLogsAt, removeLog, removeLogAt } from '../index.ts';

export function addLogCommand() {
  return new Command('add-log')
    .description("trust a log's Ed25519 key (vkey type 0x01) for checkpoints with this origin")
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .requiredOption('--vkey <vkey>', "the log's verifier key")
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        if (opts.database) await addLogAt({ database: opts.database, origin: opts.origin, vkey: opts.vkey });
        else addLog({ dataDir: opts.data, origin: opts.origin, vkey: opts.vkey });
        const name = parseVerifierKey(opts.vkey.trim()).name;
        if (name !== opts.origin)
          process.stderr.write(
            `fleetlog: note: the key name ${name} differs from the origin (allowed, but C2SP says it SHOULD match)\n`,
          );
      }),
    );
}

type LogRow = ReturnType<typeof listLogs>[number];

function logLines(logs: readonly LogRow[]): string {
  return logs
    .map(
      (log) =>
        `${log.origin}\tsize=${log.treeSize ?? 'none'}\t${log.originHash}\n${log.vkeys.map((v) => `  ${v}\n`).join('')}`,
    )
    .join('');
}

export function listLogsCommand() {
  return new Command('list-logs')
    .description('list the logs this witness cosigns for, with the latest size it cosigned')
    .requiredOption('--data <dir>', 'data directory')
    .addOption(jsonOption())
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        const logs = opts.database ? await listLogsAt({ database: opts.database }) : listLogs({ dataDir: opts.data });
        process.stdout.write(opts.json ? `${JSON.stringify(logs, null, 2)}\n` : logLines(logs));
      }),
    );
}

export function removeLogCommand() {
  return new Command('remove-log')
    .description('stop cosigning for a log (its last cosigned state is kept, so re-adding it cannot roll back)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        if (opts.database) await removeLogAt({ database: opts.database, origin: opts.origin });
        else removeLog({ dataDir: opts.data, origin: opts.origin });
      }),
    );
}
