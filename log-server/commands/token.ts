/** `fleetlog log token add|list|revoke`: submitter bearer tokens (stored hashed), one module each. */
import { Command } from '@commander-js/extra-typings';
import { tokenAddCommand } from './token-add.ts';
import { tokenListCommand } from './token-list.ts';
import { tokenRevokeCommand } from './token-revoke.ts';

export function tokenCommands() {
  return new Command('token')
    .description('bearer tokens for submitters (stored hashed)')
    .addCommand(tokenAddCommand())
    .addCommand(tokenListCommand())
    .addCommand(tokenRevokeCommand());
}
