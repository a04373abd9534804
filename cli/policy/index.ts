/** `fleetlog policy …`: make and check trust policy files without editing them by hand. */
import { Command } from '@commander-js/extra-typings';
import { addRoleCommand } from './add-role.ts';
import { addWitnessCommand } from './add-witness.ts';
import { checkCommand } from './check.ts';
import { initCommand } from './init.ts';
import { setQuorumCommand } from './set-quorum.ts';
import { showCommand } from './show.ts';

export function policyCommand() {
  return new Command('policy')
    .description('make and check trust policy files: init, add-witness, set-quorum, add-role, check, show')
    .addCommand(initCommand())
    .addCommand(addWitnessCommand())
    .addCommand(setQuorumCommand())
    .addCommand(addRoleCommand())
    .addCommand(checkCommand())
    .addCommand(showCommand());
}
