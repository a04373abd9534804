/** `fleetlog log load`: a load generator of valid entry pairs, with a throughput and latency report. */
import { randomBytes } from 'node:crypto';
import { Command } from '@commander-js/extra-typings';
import { hiddenAlias, jsonOption, logOption, parseCount } from '../../cli/options.ts';
import { action, EXIT_ERROR, EXIT_OK } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { loadKeys, loadPolicyLines } from '../load/keys.ts';
import { generatePairs, runLoad, type LoadReport } from '../load/run-load.ts';

function reportLines(report: LoadReport): string {
  const l = report.latencyMs;
  const errors = Object.keys(report.errors).length ? `: ${JSON.stringify(report.errors)}` : '';
  return (
    `entries acknowledged: ${report.entries} (${report.failures} failed${errors})\n` +
    `throughput: ${report.entriesPerSecond.toFixed(0)} entries/s over ${report.seconds.toFixed(2)} s\n` +
    `latency ms: p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}\n`
  );
}

export function loadCommand() {
  const cmd = new Command('load')
    .description('submit valid synthetic deployment-evidence + fleet-keyset pairs and report throughput and latency')
    .addOption(logOption('log URL, e.g. http://127.0.0.1:8080 (required unless --print-policy)'))
    .option('--token <token>', 'submitter bearer token (required unless --print-policy)')
    .option('--count <n>', 'number of evidence + key set pairs (2n entries)', parseCount(10_000_000, 1), 1000)
    .option('--concurrency <c>', 'concurrent clients', parseCount(10_000, 1), 16)
    .option('--seed <seed>', 'derive the test keys from this seed (default: random)')
    .option(
      '--print-policy',
      "print the fleetlog lines that pin this seed's keys (no quorum line: append them to the log's policy), and exit",
    )
    .addOption(jsonOption('machine-readable report'));
  hiddenAlias(cmd, '--url <url>', 'log', 'use --log URL');
  return cmd.action(
    action(async (opts) => {
      const seed = opts.seed ?? randomBytes(8).toString('hex');
      const keys = loadKeys(seed);
      if (opts.printPolicy) {
        process.stdout.write(loadPolicyLines(keys, seed));
        return EXIT_OK;
      }
      if (!opts.log || !opts.token)
        throw new FleetlogError('usage', '--log and --token are required (or --print-policy)');
      if (opts.seed === undefined)
        process.stderr.write(
          `load: random seed ${seed}; the log must pin its keys (see --print-policy --seed ${seed})\n`,
        );
      process.stderr.write(`load: generating ${opts.count} pairs...\n`);
      const pairs = generatePairs(keys, opts.count);
      process.stderr.write(`load: submitting ${pairs.length * 2} entries with ${opts.concurrency} clients...\n`);
      const report = await runLoad({ url: opts.log, token: opts.token, pairs, concurrency: opts.concurrency });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : reportLines(report));
      return report.failures > 0 ? EXIT_ERROR : EXIT_OK;
    }),
  );
}
