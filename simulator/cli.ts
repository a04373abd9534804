/**
 * `fleetlog sim …` and `fleetlog demo`: the HSM-fleet simulator and the end-to-end run.
 *   fleetlog demo [--data DIR]                          the README's main job
 *   fleetlog sim run [--processes] [--stop 1,2] [--partition "a|b,c"] [--wrong N] …
 *   fleetlog sim scenario --list | --all | NAME…        attack and fault scenarios
 *   fleetlog sim hsm serve …                            one HSM process (used by sim run --processes)
 *   fleetlog sim ceremony --fleet ID --vendor-key F …   a simulated deployment description
 */
import { InvalidArgumentError, type Command } from 'commander';
import { FleetlogError } from '../core/errors.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../cli/run.ts';
import { FAST_KEY_STRETCHING } from './client/backup-client.ts';
import { runDemo } from './demo.ts';
import { ceremonyCommand } from './deployment-description.ts';
import { DEFAULT_FLEET_SIZE, DEFAULT_REGIONS } from './fleet-members.ts';
import { DEFAULT_GUESS_LIMIT } from './hsm/hsm.ts';
import { serveHsmProcess } from './hsm-process.ts';
import { findScenario, runScenarios, SCENARIOS } from './scenarios/index.ts';
import { runSimulation } from './sim-run.ts';

function positiveInt(name: string, max: number): (value: string) => number {
  return (value) => {
    if (!/^[0-9]{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max)
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return Number(value);
  };
}

function list(value: string): string[] {
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

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('simulate an HSM fleet, inject faults, run attack scenarios');

  sim
    .command('run')
    .description('deploy a fleet, register a backup, inject faults, guess, recover, and show every replica')
    .option('--processes', 'run each HSM as its own process on localhost (default: in-process)')
    .option('--hsms <n>', 'fleet size', positiveInt('--hsms', 32), DEFAULT_FLEET_SIZE)
    .option('--regions <list>', 'comma-separated region names', (v) => list(v), [...DEFAULT_REGIONS])
    .option(
      '--stop <list>',
      'HSMs to stop after registration: numbers (1-based) or ids',
      (v) => list(v),
      [] as string[],
    )
    .option('--partition <groups>', 'partition regions after registration, groups separated by |', parsePartition)
    .option(
      '--wrong <n>',
      'wrong guesses before the real recovery',
      (v) => {
        if (!/^[0-9]{1,3}$/.test(v)) throw new InvalidArgumentError('--wrong must be an integer from 0 to 999');
        return Number(v);
      },
      0,
    )
    .option(
      '--guess-limit <n>',
      'wrong guesses before the record is destroyed',
      positiveInt('--guess-limit', 1000),
      DEFAULT_GUESS_LIMIT,
    )
    .addHelpText(
      'after',
      '\nExit status: 0 if the backup was recovered, 1 if the fleet refused (failed closed or destroyed the record), 2 on error.',
    )
    .action(
      action(
        async (o: {
          processes?: boolean;
          hsms: number;
          regions: string[];
          stop: string[];
          partition?: string[][];
          wrong: number;
          guessLimit: number;
        }) => {
          const result = await runSimulation({
            processes: o.processes === true,
            size: o.hsms,
            regions: o.regions,
            stop: o.stop,
            ...(o.partition ? { partition: o.partition } : {}),
            wrongGuesses: o.wrong,
            guessLimit: o.guessLimit,
          });
          return result.recovered ? EXIT_OK : EXIT_VERIFY_FAILED;
        },
      ),
    );

  const ceremony = ceremonyCommand() as unknown as Command;
  ceremony.copyInheritedSettings(sim);
  sim.addCommand(ceremony);

  sim
    .command('scenario')
    .description('run named attack and fault scenarios against a real log, witnesses and fleet on localhost')
    .argument('[names...]', 'scenarios to run (see --list)')
    .option('--list', 'list the scenarios and what each must show')
    .option('--all', 'run every scenario')
    .option('--json', 'print the results as JSON')
    .option('--data <dir>', 'keep the log and witness databases here')
    .action(
      action(async (names: string[], o: { list?: boolean; all?: boolean; json?: boolean; data?: string }) => {
        if (o.list) {
          for (const s of SCENARIOS)
            process.stdout.write(`${s.name.padEnd(24)} ${s.title}\n${' '.repeat(25)}expect: ${s.expect}\n`);
          return EXIT_OK;
        }
        if (!o.all && names.length === 0)
          throw new FleetlogError('usage', 'name scenarios to run, or pass --all (--list shows them)');
        const chosen = o.all ? SCENARIOS : names.map(findScenario);
        const runs = await runScenarios(chosen, {
          ...(o.data ? { dataDir: o.data } : {}),
          ...(o.json ? { write: () => undefined } : {}),
        });
        if (o.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        else
          process.stdout.write(
            `\n${runs.filter((r) => r.passed).length} of ${runs.length} scenarios ended as they must\n`,
          );
        return runs.every((r) => r.passed) ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );

  sim
    .command('hsm')
    .description('one simulated HSM as a process (used by sim run --processes)')
    .command('serve')
    .description('serve one HSM on localhost until SIGTERM')
    .requiredOption('--id <id>', 'HSM id')
    .requiredOption('--region <region>', 'region name')
    .requiredOption('--index <n>', 'unique index in the fleet (ballot tie-breaker)', positiveInt('--index', 1000))
    .requiredOption('--listen <host:port>', 'address to listen on')
    .requiredOption('--replicas <list>', 'every fleet member as id=url, comma-separated (this HSM included)')
    .requiredOption('--vendor-key <file>', 'the simulated vendor root key (skey, mode 0600)')
    .requiredOption('--admin-token-file <file>', 'bearer token for the admin API (mode 0600)')
    .option('--db <file>', 'SQLite file for the acceptor state (default: memory)')
    .option('--guess-limit <n>', 'guess limit', positiveInt('--guess-limit', 1000))
    .option('--exit-with-parent', 'exit when standard input closes (set by the process that spawns the fleet)')
    .action(
      action(
        async (o: {
          id: string;
          region: string;
          index: number;
          listen: string;
          replicas: string;
          vendorKey: string;
          adminTokenFile: string;
          db?: string;
          guessLimit?: number;
          exitWithParent?: boolean;
        }) => {
          await serveHsmProcess({
            id: o.id,
            region: o.region,
            index: o.index,
            listen: o.listen,
            replicas: o.replicas,
            vendorKeyFile: o.vendorKey,
            adminTokenFile: o.adminTokenFile,
            exitWithParent: o.exitWithParent === true,
            ...(o.db ? { db: o.db } : {}),
            ...(o.guessLimit ? { guessLimit: o.guessLimit } : {}),
          });
          await new Promise(() => undefined); // serve until a signal ends the process
        },
      ),
    );
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('end-to-end run: log, witnesses, fleet, backup and audit on localhost')
    .option('--data <dir>', 'keep the databases and keys in this directory (default: a temporary directory, removed)')
    .option('--fast-kdf', 'use a light Argon2id setting in the client (default: the OPAQUE library default)')
    .action(
      action(async (o: { data?: string; fastKdf?: boolean }) => {
        const result = await runDemo({
          ...(o.data ? { dataDir: o.data } : {}),
          ...(o.fastKdf ? { keyStretching: FAST_KEY_STRETCHING } : {}),
        });
        return result.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
