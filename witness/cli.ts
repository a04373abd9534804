/** `fleetlog witness …`: run an independent C2SP witness (init, add-log, list-logs, remove-log, serve). */
import type { Command } from 'commander';
import { action } from '../cli/run.ts';
import { parseDecimal } from '../core/decimal.ts';
import { parseVerifierKey } from '../core/note/keys.ts';
import { createLogger } from '../service/logger.ts';
import { databaseOption as dbOption } from '../service/postgres.ts';
import { exitOnSignals, parseListen } from '../service/serve.ts';
import { addLog, addLogAt, initWitness, listLogs, listLogsAt, removeLog, removeLogAt, startWitness } from './index.ts';

export function registerWitnessCommands(program: Command): void {
  const witness = program.command('witness').description('run an independent C2SP witness (init, add-log, serve)');

  witness
    .command('init')
    .description('create the witness database and its Ed25519 cosigning key (0600) in DIR; prints the vkey (type 0x04)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'the witness key name, e.g. witness.example/w1')
    .option(
      '--database <url>',
      'postgres://… URL of the witness database shared by its processes (default: SQLite in --data)',
    )
    .action(
      action(async (opts: { data: string; name: string; database?: string }) => {
        const { vkey } = await initWitness({ dataDir: opts.data, name: opts.name, ...dbOption(opts.database) });
        process.stdout.write(`${vkey}\n`);
      }),
    );

  witness
    .command('add-log')
    .description("trust a log's Ed25519 key (vkey type 0x01) for checkpoints with this origin")
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .requiredOption('--vkey <vkey>', "the log's verifier key")
    .option(
      '--database <url>',
      'postgres://… URL of the witness database shared by its processes (default: SQLite in --data)',
    )
    .action(
      action(async (opts: { data: string; origin: string; vkey: string; database?: string }) => {
        const { database } = dbOption(opts.database);
        if (database) await addLogAt({ database, origin: opts.origin, vkey: opts.vkey });
        else addLog({ dataDir: opts.data, origin: opts.origin, vkey: opts.vkey });
        const name = parseVerifierKey(opts.vkey.trim()).name;
        if (name !== opts.origin)
          process.stderr.write(
            `fleetlog: note: the key name ${name} differs from the origin (allowed, but C2SP says it SHOULD match)\n`,
          );
      }),
    );

  witness
    .command('list-logs')
    .description('list the logs this witness cosigns for, with the latest size it cosigned')
    .requiredOption('--data <dir>', 'data directory')
    .option('--json', 'print JSON')
    .option(
      '--database <url>',
      'postgres://… URL of the witness database shared by its processes (default: SQLite in --data)',
    )
    .action(
      action(async (opts: { data: string; json?: boolean; database?: string }) => {
        const { database } = dbOption(opts.database);
        const logs = database ? await listLogsAt({ database }) : listLogs({ dataDir: opts.data });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(logs, null, 2)}\n`);
          return;
        }
        for (const log of logs) {
          process.stdout.write(`${log.origin}\tsize=${log.treeSize ?? 'none'}\t${log.originHash}\n`);
          for (const vkey of log.vkeys) process.stdout.write(`  ${vkey}\n`);
        }
      }),
    );

  witness
    .command('remove-log')
    .description('stop cosigning for a log (its last cosigned state is kept, so re-adding it cannot roll back)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--origin <origin>', 'the checkpoint origin line')
    .option(
      '--database <url>',
      'postgres://… URL of the witness database shared by its processes (default: SQLite in --data)',
    )
    .action(
      action(async (opts: { data: string; origin: string; database?: string }) => {
        const { database } = dbOption(opts.database);
        if (database) await removeLogAt({ database, origin: opts.origin });
        else removeLog({ dataDir: opts.data, origin: opts.origin });
      }),
    );

  witness
    .command('serve')
    .description('serve POST /add-checkpoint, GET /<hex sha256(origin)>/checkpoint, /evidence, /health, /metrics')
    .requiredOption('--data <dir>', 'data directory (with --database: holds only the key witness.key)')
    .option(
      '--database <url>',
      'postgres://… URL of the witness database shared by its processes (default: SQLite in --data)',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7380')
    .option(
      '--threads <n>',
      'worker threads judging requests, plus one writer thread (0 = all on the main thread; default one per core)',
    )
    .action(
      action(async (opts: { data: string; listen: string; threads?: string; database?: string }) => {
        const logger = createLogger('witness');
        const threads = opts.threads === undefined ? undefined : parseDecimal(opts.threads, '--threads', 64);
        const server = await startWitness({
          dataDir: opts.data,
          ...dbOption(opts.database),
          ...parseListen(opts.listen),
          logger,
          threads,
        });
        logger.info('listening', { url: server.url, vkey: server.vkey });
        exitOnSignals(server, logger);
      }),
    );
}
