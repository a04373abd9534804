/**
 * `fleetlog sim …` and `fleetlog demo`: the HSM-fleet simulator and the end-to-end run, one module
 * per command in commands/.
 *   fleetlog demo [--data DIR]                          the README's main job
 *   fleetlog sim run [--processes] [--stop 1,2] [--partition "a|b,c"] [--wrong N] …
 *   fleetlog sim scenario --list | --all | NAME…        attack and fault scenarios
 *   fleetlog sim study [--full] [--out DIR]             latency vs the round-trip limit, availability
 *   fleetlog sim hsm serve …                            one HSM process (used by sim run --processes)
 *   fleetlog sim ceremony --fleet ID --vendor-key F …   a simulated deployment description
 */
import { Command } from '@commander-js/extra-typings';
import { hsmCommands } from './commands/hsm-serve.ts';
import { ceremonyCommand } from './deployment-description.ts';
import { runCommand } from './commands/run.ts';
import { scenarioCommand } from './commands/scenario.ts';
import { studyCommand } from './commands/study.ts';

export { demoCommand } from './commands/demo.ts';

export function simCommands() {
  return new Command('sim')
    .description('simulate an HSM fleet, inject faults, run attack scenarios')
    .addCommand(runCommand())
    .addCommand(scenarioCommand())
    .addCommand(ceremonyCommand())
    .addCommand(studyCommand())
    .addCommand(hsmCommands());
}
