/**
 * `fleetlog fleet countersign`: the countersigner checks the publisher's key set against the
 * pinned policy, the evidence and the log, prints a review, and counter-signs only on
 * confirmation (or --yes).
 */
import { Command } from '@commander-js/extra-typings';
import { action } from '../../cli/run.ts';
import { terminalText } from '../../cli/terminal-text.ts';
import { FleetlogError } from '../../core/errors.ts';
import { parseSignerKey } from '../../core/note/keys.ts';
import { readKeyFile } from '../../service/key-file.ts';
import {
  countersign,
  formatReview,
  parseKeysetDraft,
  PublishLogClient,
  requirePublishChecks,
  reviewForCountersign,
} from '../index.ts';
import { readEntryFile, readJsonFile, readPolicyFile, writeOutput } from '../files.ts';
import { confirm } from '../command-options.ts';

export function countersignCommand() {
  return new Command('countersign')
    .addHelpText(
      'after',
      '\nExit status: 0 counter-signed, 1 a check failed (signature, evidence, keys, window, version), 2 a key the policy does not pin, the review not confirmed, usage, network or I/O error.',
    )
    .description(
      'review a publisher-signed key set (publisher signature, evidence E1-E4, keys K1/K2, window, version against the log) and counter-sign it on confirmation',
    )
    .requiredOption('--key <file>', 'countersigner skey file (from fleetlog keygen --type countersigner)')
    .requiredOption('--draft <file>', 'the publisher-signed key set (from fleet sign)')
    .requiredOption('--evidence <file>', 'the deployment-evidence entry the key set references')
    .requiredOption('--policy <file>', 'trust policy: the pinned publisher, countersigner and HSM vendor keys')
    .requiredOption(
      '--log <url>',
      'log URL: its current key set for the fleet (version, changes) and whether the evidence is logged',
    )
    .requiredOption('--out <file>', 'where to write the complete key-set entry')
    .option('--yes', 'counter-sign without asking, if every check passes (automation)')
    .option('--json', 'machine-readable output (implies no prompt: use with --yes)')
    .action(
      action(async (opts) => {
        const { policy } = readPolicyFile(opts.policy);
        const key = parseSignerKey(readKeyFile(opts.key));
        const review = await reviewForCountersign({
          draft: parseKeysetDraft(readJsonFile(opts.draft, 'signed key set')),
          evidenceBytes: readEntryFile(opts.evidence, 'evidence'),
          policy,
          key,
          log: new PublishLogClient(opts.log),
        });
        if (!opts.json) process.stdout.write(terminalText(formatReview(review)));
        requirePublishChecks(review.checks);
        const b = review.draft.body;
        if (!opts.yes) {
          if (opts.json) throw new FleetlogError('usage', '--json gives no prompt: pass --yes to counter-sign');
          if (!(await confirm(`Counter-sign fleet ${b.fleetId} key set version ${b.version} as ${key.name}? [y/N] `)))
            throw new FleetlogError(
              'usage',
              'not counter-signed: the review was not confirmed (answer yes, or pass --yes)',
            );
        }
        const { bytes } = countersign(review, key);
        writeOutput(opts.out, bytes, 'key set');
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ out: opts.out, fleetId: b.fleetId, version: b.version, countersigner: key.name, checks: review.checks })}\n`,
          );
        else
          process.stdout.write(
            `wrote ${opts.out}: fleet ${b.fleetId} key set version ${b.version}, counter-signed by ${key.name}; the publisher submits it (fleet submit)\n`,
          );
      }),
    );
}
