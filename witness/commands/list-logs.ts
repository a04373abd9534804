/** `fleetlog witness list-logs`: the logs a witness cosigns for. */
import { Command } from '@commander-js/extra-typings';
import { databaseOption, jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { listLogs, listLogsAt } from '../index.ts';

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
