/** `fleetlog log token list`: token names and dates, never the tokens. */
import { Command } from '@commander-js/extra-typings';
import { databaseOption, jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import type { TokenRecord } from '../storage/storage.ts';
import { listTokens } from '../index.ts';

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

export function tokenListCommand() {
  return new Command('list')
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
}
