/** `fleetlog sim scenario`: named attack and fault scenarios against real components on localhost. */
import { Command } from '@commander-js/extra-typings';
import { jsonOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { findScenario, runScenarios, SCENARIOS } from '../scenarios/index.ts';

function scenarioList(): string {
  return SCENARIOS.map((s) => `${s.name.padEnd(24)} ${s.title}\n${' '.repeat(25)}expect: ${s.expect}\n`).join('');
}

export function scenarioCommand() {
  return new Command('scenario')
    .description('run named attack and fault scenarios against a real log, witnesses and fleet on localhost')
    .argument('[names...]', 'scenarios to run (see --list)')
    .option('--list', 'list the scenarios and what each must show')
    .option('--all', 'run every scenario')
    .addOption(jsonOption('print the results as JSON'))
    .option('--data <dir>', 'keep the log and witness databases here')
    .action(
      action(async (names, o) => {
        if (o.list) {
          process.stdout.write(scenarioList());
          return EXIT_OK;
        }
        if (!o.all && names.length === 0)
          throw new FleetlogError('usage', 'name scenarios to run, or pass --all (--list shows them)');
        const chosen = o.all ? SCENARIOS : names.map(findScenario);
        const runs = await runScenarios(chosen, {
          ...(o.data ? { dataDir: o.data } : {}),
          ...(o.json ? { write: () => undefined } : {}),
        });
        const passed = runs.filter((r) => r.passed).length;
        process.stdout.write(
          o.json
            ? `${JSON.stringify(runs, null, 2)}\n`
            : `\n${passed} of ${runs.length} scenario${runs.length === 1 ? '' : 's'} ended as they must\n`,
        );
        return passed === runs.length ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
