/** `fleetlog log token add|list|revoke`: submitter bearer tokens (stored hashed). */
import { Command } from '@commander-js/extra-typings';
import { databaseOption, jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { addToken, listTokens, revokeToken } from '../index.ts';
import type { TokenRecord } from '../storage/storage.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

function tokenLines(tokens: readonly TokenRecord[]): string {
  return tokens
    .map(
      (t) =>
        `${t.name}\tcreated ${iso(t.createdAtMs)}${t.revokedAtMs ? `\trevoked ${iso(t.revokedAtMs)}` : '\tactive'}\n`,
    )
    .join('');
}

function tokenJson(tokens: readonly TokenRecord[]): string {
  const rows = tokens.map((t) => ({
    name: t.name,
    createdAt: iso(t.createdAtMs),
    revokedAt: t.revokedAtMs ? iso(t.revokedAtMs) : null,
  }));
  return `${JSON.stringify(rows)}\n`;
}

export function tokenCommands() {
  const add = new Command('add')
    .description('create a token; it is printed once and only its SHA-256 is stored')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'who the token is for')
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        process.stdout.write(`${await addToken({ dataDir: opts.data, name: opts.name, database: opts.database })}\n`);
      }),
    );
  const list = new Command('list')
    .description('list tokens (names and dates, never the tokens)')
    .requiredOption('--data <dir>', 'data directory')
    .addOption(jsonOption())
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        const tokens = await listTokens({ dataDir: opts.data, database: opts.database });
        process.stdout.write(opts.json ? tokenJson(tokens) : tokenLines(tokens));
      }),
    );
  const revoke = new Command('revoke')
    .description('revoke the active token with this name (takes effect on the next request)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'token name')
    .addOption(databaseOption())
    .action(
      action(async (opts) => {
        if (!(await revokeToken({ dataDir: opts.data, name: opts.name, database: opts.database })))
          throw new FleetlogError('not_found', `no active token named ${JSON.stringify(opts.name)}`);
        process.stdout.write(`revoked ${opts.name}\n`);
      }),
    );
  return new Command('token')
    .description('bearer tokens for submitters (stored hashed)')
    .addCommand(add)
    .addCommand(list)
    .addCommand(revoke);
}
