/** `fleetlog fleet draft`: the key set body from the evidence, chosen keys, window and version (publisher, unsigned). */
import { Command } from '@commander-js/extra-typings';
import { jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { currentKeyset, decodeEvidence, draftKeyset, formatKeysetDraft, PublishLogClient } from '../index.ts';
import { readEntryFile, readPolicyFile, writeOutput } from '../files.ts';
import { parseDurationMs, parseTimeSeconds, parseVersion } from '../command-options.ts';

export function draftCommand() {
  return new Command('draft')
    .addHelpText(
      'after',
      '\nExit status: 0 written, 1 the version does not increase or the current key set does not verify, 2 usage, network or I/O error.',
    )
    .description(
      "draft the fleet key set (unsigned) from the deployment evidence; with --log the version is the log's current one plus 1",
    )
    .requiredOption('--evidence <file>', 'deployment-evidence entry (from fleet evidence)')
    .requiredOption('--out <file>', 'where to write the draft')
    .option(
      '--keyset-version <n>',
      'key set version (default with --log: one more than the log has for the fleet)',
      parseVersion,
    )
    .option('--log <url>', 'log URL: take the next version from its current key set for the fleet')
    .option('--policy <file>', 'trust policy (needed with --log: the current key set is verified before use)')
    .option('--not-before <time>', 'start of validity: now, seconds since the epoch, or ISO 8601 UTC', 'now')
    .option('--valid-for <duration>', 'length of the validity window, e.g. 365d or 12h', '365d')
    .option('--alg <alg...>', "publish only these key algorithms of each HSM (default: all the evidence's keys)")
    .addOption(jsonOption())
    .action(
      action(async (opts) => {
        const evidenceBytes = readEntryFile(opts.evidence, 'evidence');
        const evidence = decodeEvidence(evidenceBytes);
        const notBefore = parseTimeSeconds(opts.notBefore, '--not-before');
        const notAfter = notBefore + Math.floor(parseDurationMs(opts.validFor, '--valid-for') / 1000);
        let version = opts.keysetVersion;
        if (opts.log !== undefined) {
          if (opts.policy === undefined)
            throw new FleetlogError('usage', '--log needs --policy to verify the current key set');
          const { policy } = readPolicyFile(opts.policy);
          const current = await currentKeyset(
            new PublishLogClient(opts.log),
            policy,
            evidence.fleetId,
            Math.floor(Date.now() / 1000),
          );
          const next = (current?.keyset.version ?? 0) + 1;
          if (version !== undefined && version < next)
            throw new FleetlogError(
              'rollback',
              `--keyset-version ${version} does not increase over the log's current version ${next - 1} of fleet ${evidence.fleetId}`,
            );
          version ??= next;
        }
        if (version === undefined)
          throw new FleetlogError(
            'usage',
            'give --keyset-version N, or --log URL --policy FILE to take the next version from the log',
          );
        const draft = draftKeyset({
          evidence,
          evidenceBytes,
          version,
          notBefore,
          notAfter,
          ...(opts.alg ? { algs: opts.alg } : {}),
        });
        writeOutput(opts.out, formatKeysetDraft(draft), 'draft');
        const b = draft.body;
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ out: opts.out, fleetId: b.fleetId, version: b.version, keys: b.keys.length, notBefore: b.notBefore, notAfter: b.notAfter })}\n`,
          );
        else
          process.stdout.write(
            `wrote ${opts.out}: fleet ${b.fleetId} key set version ${b.version}, ${b.keys.length} keys, valid ${new Date(b.notBefore * 1000).toISOString()} to ${new Date(b.notAfter * 1000).toISOString()} (unsigned: next, fleet sign)\n`,
          );
      }),
    );
}
