/** `fleetlog log …`: run the append-only log server (init, serve, token, load). */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action } from '../cli/run.ts';
import { parseDecimal } from '../core/decimal.ts';
import { FleetlogError } from '../core/errors.ts';
import { createLogger } from '../service/logger.ts';
import { databaseOption as dbOption } from '../service/postgres.ts';
import { exitOnSignals, parseListen } from '../service/serve.ts';
import { addToken, initLog, listTokens, revokeToken, startLogServer } from './index.ts';
import { loadKeys, loadPolicyText } from './load/keys.ts';
import { generatePairs, runLoad } from './load/run-load.ts';

const positive =
  (what: string) =>
  (value: string): number => {
    const n = parseDecimal(value, what);
    if (n < 1) throw new FleetlogError('usage', `${what} must be at least 1`);
    return n;
  };

function readPolicy(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FleetlogError('io', `cannot read policy ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

export function registerLogCommands(program: Command): void {
  const log = program.command('log').description('run the append-only log server (init, serve, token, load)');

  log
    .command('init')
    .description("create the log database and its signing key (0600) in DIR; prints the log's vkey")
    .requiredOption('--data <dir>', 'data directory (created if missing; an existing log is never overwritten)')
    .requiredOption('--origin <origin>', 'checkpoint origin, also the key name, e.g. log.example.com/fleetlog')
    .option('--database <url>', 'postgres://… URL of the log database (default: SQLite in --data)')
    .action(
      action(async (opts: { data: string; origin: string; database?: string }) => {
        const { vkey } = await initLog({ dataDir: opts.data, origin: opts.origin, ...dbOption(opts.database) });
        process.stdout.write(`${vkey}\n`);
      }),
    );

  log
    .command('serve')
    .description('serve the log (C2SP tlog-tiles read API, POST /add-entry); SIGTERM drains and exits 0')
    .requiredOption('--data <dir>', 'data directory (with --database: holds only the signing key log.key)')
    .option('--database <url>', 'postgres://… URL of the log database (default: SQLite in --data)')
    .option(
      '--lease-ms <ms>',
      'PostgreSQL: leader lease duration, the longest a dead leader stalls appends',
      positive('--lease-ms'),
      3000,
    )
    .option(
      '--advertise-url <url>',
      'PostgreSQL: URL the other processes forward submissions to (default: the listening URL)',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option(
      '--policy <file>',
      'trust policy: witnesses (with URLs) and quorum, fleetlog publisher and countersigner keys',
    )
    .option('--batch-max-size <n>', 'most entries per batch and checkpoint', positive('--batch-max-size'), 1024)
    .option(
      '--batch-max-wait-ms <ms>',
      'longest a submission waits for others to join its batch',
      (v) => parseDecimal(v, '--batch-max-wait-ms'),
      2,
    )
    .option(
      '--validation-workers <n>',
      'worker threads that check entry signatures and canonical form; each costs ~10-15 MB RSS (0 = main thread)',
      (v) => parseDecimal(v, '--validation-workers'),
      0,
    )
    .option('--writer-thread', 'commit batches on a worker thread so fsync never pauses serving (costs ~10-15 MB RSS)')
    .option(
      '--witness-timeout-ms <ms>',
      'timeout of one add-checkpoint request',
      positive('--witness-timeout-ms'),
      10_000,
    )
    .action(
      action(
        async (opts: {
          data: string;
          database?: string;
          leaseMs: number;
          advertiseUrl?: string;
          listen: string;
          policy?: string;
          batchMaxSize: number;
          batchMaxWaitMs: number;
          witnessTimeoutMs: number;
          validationWorkers: number;
          writerThread?: boolean;
        }) => {
          const logger = createLogger('log-server');
          const { host, port } = parseListen(opts.listen);
          const policyText = readPolicy(opts.policy);
          const server = await startLogServer({
            dataDir: opts.data,
            ...dbOption(opts.database),
            leaseMs: opts.leaseMs,
            ...(opts.advertiseUrl !== undefined ? { advertiseUrl: opts.advertiseUrl } : {}),
            host,
            port,
            logger,
            batchMaxSize: opts.batchMaxSize,
            batchMaxWaitMs: opts.batchMaxWaitMs,
            witnessTimeoutMs: opts.witnessTimeoutMs,
            validationWorkers: opts.validationWorkers,
            writerThread: opts.writerThread ?? false,
            benchRoutes: process.env.FLEETLOG_BENCH_ROUTES === '1',
            ...(policyText !== undefined ? { policyText } : {}),
          });
          logger.info('listening', { url: server.url });
          exitOnSignals(server, logger);
          await new Promise(() => {}); // serve until a signal
        },
      ),
    );

  const token = log.command('token').description('bearer tokens for submitters (stored hashed)');
  token
    .command('add')
    .description('create a token; it is printed once and only its SHA-256 is stored')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'who the token is for')
    .option('--database <url>', 'postgres://… URL of the log database (default: SQLite in --data)')
    .action(
      action(async (opts: { data: string; name: string; database?: string }) => {
        process.stdout.write(
          `${await addToken({ dataDir: opts.data, name: opts.name, ...dbOption(opts.database) })}\n`,
        );
      }),
    );
  token
    .command('list')
    .description('list tokens (names and dates, never the tokens)')
    .requiredOption('--data <dir>', 'data directory')
    .option('--database <url>', 'postgres://… URL of the log database (default: SQLite in --data)')
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: { data: string; json?: boolean; database?: string }) => {
        const tokens = await listTokens({ dataDir: opts.data, ...dbOption(opts.database) });
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(tokens.map((t) => ({ name: t.name, createdAt: new Date(t.createdAtMs).toISOString(), revokedAt: t.revokedAtMs ? new Date(t.revokedAtMs).toISOString() : null })))}\n`,
          );
          return;
        }
        for (const t of tokens) {
          process.stdout.write(
            `${t.name}\tcreated ${new Date(t.createdAtMs).toISOString()}${t.revokedAtMs ? `\trevoked ${new Date(t.revokedAtMs).toISOString()}` : '\tactive'}\n`,
          );
        }
      }),
    );
  token
    .command('revoke')
    .description('revoke the active token with this name (takes effect on the next request)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'token name')
    .option('--database <url>', 'postgres://… URL of the log database (default: SQLite in --data)')
    .action(
      action(async (opts: { data: string; name: string; database?: string }) => {
        if (!(await revokeToken({ dataDir: opts.data, name: opts.name, ...dbOption(opts.database) })))
          throw new FleetlogError('not_found', `no active token named ${JSON.stringify(opts.name)}`);
        process.stdout.write(`revoked ${opts.name}\n`);
      }),
    );

  log
    .command('load')
    .description('submit valid synthetic deployment-evidence + fleet-keyset pairs and report throughput and latency')
    .option('--url <url>', 'log URL, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'submitter bearer token')
    .option('--count <n>', 'number of evidence + key set pairs (2n entries)', positive('--count'), 1000)
    .option('--concurrency <c>', 'concurrent clients', positive('--concurrency'), 16)
    .option('--seed <seed>', 'derive the test keys from this seed (default: random)')
    .option('--print-policy', "print the policy lines that accept this seed's keys, and exit")
    .option('--json', 'machine-readable report')
    .action(
      action(
        async (opts: {
          url?: string;
          token?: string;
          count: number;
          concurrency: number;
          seed?: string;
          printPolicy?: boolean;
          json?: boolean;
        }) => {
          const seed = opts.seed ?? randomBytes(8).toString('hex');
          const keys = loadKeys(seed);
          if (opts.printPolicy) {
            process.stdout.write(loadPolicyText(keys, seed));
            return;
          }
          if (!opts.url || !opts.token)
            throw new FleetlogError('usage', '--url and --token are required (or --print-policy)');
          if (opts.seed === undefined)
            process.stderr.write(
              `load: random seed ${seed}; the log must pin its keys (see --print-policy --seed ${seed})\n`,
            );
          process.stderr.write(`load: generating ${opts.count} pairs...\n`);
          const pairs = generatePairs(keys, opts.count);
          process.stderr.write(`load: submitting ${pairs.length * 2} entries with ${opts.concurrency} clients...\n`);
          const report = await runLoad({ url: opts.url, token: opts.token, pairs, concurrency: opts.concurrency });
          if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
          else {
            const l = report.latencyMs;
            process.stdout.write(
              `entries acknowledged: ${report.entries} (${report.failures} failed${Object.keys(report.errors).length ? `: ${JSON.stringify(report.errors)}` : ''})\n` +
                `throughput: ${report.entriesPerSecond.toFixed(0)} entries/s over ${report.seconds.toFixed(2)} s\n` +
                `latency ms: p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}\n`,
            );
          }
          return report.failures > 0 ? 2 : 0;
        },
      ),
    );
}
