/** `fleetlog sim run`: deploy a fleet, register a backup, inject faults, guess and recover. */
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { parseCount } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { DEFAULT_FLEET_SIZE, DEFAULT_REGIONS } from '../fleet-members.ts';
import { DEFAULT_GUESS_LIMIT } from '../hsm/hsm.ts';
import { loadLatencyMatrix } from '../net/latency-file.ts';
import { runSimulation } from '../sim-run.ts';

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** "eu-west|us-east,ap-south" -> [["eu-west"], ["us-east", "ap-south"]] */
export function parsePartition(value: string): string[][] {
  const groups = value.split('|').map(list);
  if (groups.length < 2 || groups.some((g) => g.length === 0))
    throw new InvalidArgumentError('--partition wants at least two groups of regions, e.g. "eu-west|us-east,ap-south"');
  return groups;
}

export function runCommand() {
  return new Command('run')
    .description('deploy a fleet, register a backup, inject faults, guess, recover, and show every replica')
    .option('--processes', 'run each HSM as its own process on localhost (default: in-process)')
    .option('--hsms <n>', 'fleet size', parseCount(32, 1), DEFAULT_FLEET_SIZE)
    .addOption(
      new Option('--regions <list>', 'comma-separated region names')
        .argParser(list)
        .default([...DEFAULT_REGIONS], DEFAULT_REGIONS.join(',')),
    )
    .addOption(
      new Option('--stop <list>', 'HSMs to stop after registration: numbers (1-based) or ids')
        .argParser(list)
        .default([] as string[], 'none'),
    )
    .addOption(
      new Option(
        '--restart <list>',
        'HSMs to bring back after the wrong guesses (restarted, they catch up before answering)',
      )
        .argParser(list)
        .default([] as string[], 'none'),
    )
    .option('--partition <groups>', 'partition regions after registration, groups separated by |', parsePartition)
    .option(
      '--latency <file>',
      'delay messages by a latency matrix (JSON, simulator/net/latency.ts; "default" = published AWS figures); regions must be in it, the client sits in the first',
    )
    .option('--wrong <n>', 'wrong guesses before the real recovery', parseCount(999), 0)
    .option(
      '--guess-limit <n>',
      'wrong guesses before the record is destroyed',
      parseCount(1000, 1),
      DEFAULT_GUESS_LIMIT,
    )
    .addHelpText(
      'after',
      '\nExit status: 0 if the backup was recovered, 1 if the fleet refused (failed closed or destroyed the record), 2 on error.',
    )
    .action(
      action(async (o) => {
        const result = await runSimulation({
          processes: o.processes === true,
          size: o.hsms,
          regions: o.regions,
          stop: o.stop,
          restart: o.restart,
          ...(o.latency ? { latency: loadLatencyMatrix(o.latency, o.regions) } : {}),
          ...(o.partition ? { partition: o.partition } : {}),
          wrongGuesses: o.wrong,
          guessLimit: o.guessLimit,
        });
        return result.recovered ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
