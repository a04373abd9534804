/**
 * `fleetlog witness serve`: serve the witness until SIGTERM. Every flag is also a `--config FILE`
 * setting (cli/config-file.ts): declare a new flag here and it is a setting too.
 */
import { Command } from '@commander-js/extra-typings';
import { addConfigOption } from '../../cli/config-file.ts';
import { databaseOption, threadsOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { createLogger } from '../../service/logger.ts';
import { exitOnSignals, parseListen } from '../../service/serve.ts';
import { FLEETLOG_VERSION } from '../../service/version.ts';
import { startWitness } from '../index.ts';

export function serveCommand() {
  const cmd = new Command('serve')
    .description('serve POST /add-checkpoint, GET /<hex sha256(origin)>/checkpoint, /evidence, /health, /metrics')
    .requiredOption('--data <dir>', 'data directory (made by witness init)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7380')
    .addOption(
      threadsOption(
        'worker threads judging requests, plus one writer thread (0 = all on the main thread; default one per core)',
      ),
    )
    .addOption(databaseOption());
  return addConfigOption(cmd).action(
    action(async (opts) => {
      const logger = createLogger('witness');
      const starting = startWitness({
        dataDir: opts.data,
        ...(opts.database !== undefined ? { database: opts.database } : {}),
        ...parseListen(opts.listen),
        logger,
        threads: opts.threads,
      });
      exitOnSignals(starting, logger);
      const server = await starting;
      logger.info('listening', { url: server.url, vkey: server.vkey, version: FLEETLOG_VERSION });
    }),
  );
}
