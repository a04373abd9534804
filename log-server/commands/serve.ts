/**
 * `fleetlog log serve`: serve a log until SIGTERM. Every flag is also a `--config FILE` setting
 * (cli/config-file.ts): declare a new flag here and it is a setting too.
 */
import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { addConfigOption } from '../../cli/config-file.ts';
import {
  databaseOption,
  durationOption,
  hiddenAlias,
  parseCount,
  parseMilliseconds,
  threadsOption,
} from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { createLogger } from '../../service/logger.ts';
import { exitOnSignals, parseListen } from '../../service/serve.ts';
import { FLEETLOG_VERSION } from '../../service/version.ts';
import { startLogServer } from '../index.ts';

function readPolicy(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FleetlogError('io', `cannot read policy ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/**
 * An unwitnessed log is a choice the operator states, never the result of a forgotten flag or a
 * policy's `quorum none`: without witnesses (no policy, or `quorum none`) `--no-witnesses` (config:
 * `no-witnesses true`) is required, and it contradicts a policy that names a quorum. A policy with
 * `quorum none` and `--no-witnesses` is the unwitnessed log that still pins publisher keys.
 */
function requireWitnessChoice(policyText: string | undefined, witnesses: boolean): void {
  if (policyText === undefined) {
    if (witnesses)
      throw new FleetlogError(
        'usage',
        'no --policy: a log without witnesses publishes checkpoints nobody cosigned; pass --policy FILE, or --no-witnesses to run it unwitnessed on purpose',
      );
    return;
  }
  const quorum = parsePolicy(policyText).quorum;
  if (quorum === 'none' && witnesses)
    throw new FleetlogError(
      'usage',
      'the policy says quorum none: a log without witnesses publishes checkpoints nobody cosigned; give the policy witnesses and a quorum, or pass --no-witnesses to run it unwitnessed on purpose',
    );
  if (quorum !== 'none' && !witnesses)
    throw new FleetlogError(
      'usage',
      '--no-witnesses contradicts the policy, which names a witness quorum: drop --no-witnesses, or set quorum none in the policy',
    );
}

export function serveCommand() {
  const cmd = new Command('serve')
    .description('serve the log (C2SP tlog-tiles read API, POST /add-entry); SIGTERM drains and exits 0')
    .requiredOption('--data <dir>', 'data directory (made by log init)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option(
      '--policy <file>',
      'trust policy: witnesses (with URLs) and quorum, fleetlog publisher and countersigner keys; its log line must be this log',
    )
    .option(
      '--no-witnesses',
      'run unwitnessed on purpose (no policy, or one with quorum none): every checkpoint published at once (fail-open)',
    )
    .option('--batch-max-size <n>', 'most entries per batch and checkpoint', parseCount(1_000_000, 1), 1024)
    .addOption(
      durationOption('--batch-max-wait <duration>', 'longest a submission waits for others to join its batch', 2),
    )
    .addOption(
      threadsOption(
        'worker threads that check entry signatures and canonical form; each costs ~10-15 MB RSS (0 = main thread)',
      ).default(0),
    )
    .option('--writer-thread', 'commit batches on a worker thread so fsync never pauses serving (costs ~10-15 MB RSS)')
    .option(
      '--publish-dir <dir>',
      'also keep DIR a static copy of the read API (checkpoint, tiles, fleet bundles) for nginx or a CDN',
    )
    .addOption(durationOption('--witness-timeout <duration>', 'timeout of one add-checkpoint request', 10_000))
    .addOption(databaseOption())
    .addOption(
      durationOption(
        '--lease <duration>',
        'PostgreSQL: leader lease; the longest a dead leader stalls appends',
        3000,
        100,
      ),
    )
    .option(
      '--advertise-url <url>',
      'PostgreSQL: the URL the other processes forward submissions to while this one leads (default: the listening URL)',
    );
  hiddenAlias(cmd, '--batch-max-wait-ms <ms>', 'batchMaxWait', 'use --batch-max-wait 2ms', parseMilliseconds);
  hiddenAlias(cmd, '--witness-timeout-ms <ms>', 'witnessTimeout', 'use --witness-timeout 10s', parseMilliseconds);
  hiddenAlias(cmd, '--validation-workers <n>', 'threads', 'use --threads N', parseCount(64));
  return addConfigOption(cmd).action(
    action(async (opts) => {
      if (opts.witnessTimeout < 1) throw new FleetlogError('usage', '--witness-timeout must be at least 1ms');
      const policyText = readPolicy(opts.policy);
      requireWitnessChoice(policyText, opts.witnesses);
      const logger = createLogger('log-server');
      const { host, port } = parseListen(opts.listen);
      const starting = startLogServer({
        dataDir: opts.data,
        ...(opts.database !== undefined ? { database: opts.database } : {}),
        leaseMs: opts.lease,
        ...(opts.advertiseUrl !== undefined ? { advertiseUrl: opts.advertiseUrl } : {}),
        host,
        port,
        logger,
        batchMaxSize: opts.batchMaxSize,
        batchMaxWaitMs: opts.batchMaxWait,
        witnessTimeoutMs: opts.witnessTimeout,
        validationWorkers: opts.threads,
        writerThread: opts.writerThread ?? false,
        benchRoutes: process.env.FLEETLOG_BENCH_ROUTES === '1',
        ...(policyText !== undefined ? { policyText } : {}),
        ...(opts.publishDir !== undefined ? { publishDir: opts.publishDir } : {}),
      });
      exitOnSignals(starting, logger);
      const server = await starting;
      logger.info('listening', { url: server.url, version: FLEETLOG_VERSION });
      await new Promise(() => {}); // serve until a signal
    }),
  );
}
