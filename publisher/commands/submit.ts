/** `fleetlog fleet submit`: log the evidence, then the key set; with --wait, also write the verified offline bundle. */
import { Command } from '@commander-js/extra-typings';
import { jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { PublishLogClient, submitKeyset } from '../index.ts';
import { readEntryFile, readPolicyFile, writeOutput } from '../files.ts';
import { durationOption } from '../../cli/options.ts';
import { readToken } from '../command-options.ts';

export function submitCommand() {
  return new Command('submit')
    .addHelpText(
      'after',
      '\nExit status: 0 logged (with --wait: the bundle written), 1 a check failed and nothing was logged, 2 usage, network or I/O error, or the quorum did not cosign in time.',
    )
    .description(
      'submit the deployment evidence and then the key set to the log (a resubmission succeeds); with --wait, wait for a published checkpoint that meets the quorum and write the verified offline bundle',
    )
    .requiredOption('--log <url>', 'log URL')
    .requiredOption('--policy <file>', 'trust policy: everything is checked again before anything is logged')
    .requiredOption('--evidence <file>', 'deployment-evidence entry (from fleet evidence)')
    .requiredOption('--keyset <file>', 'complete key-set entry (from fleet countersign)')
    .option('--token-file <file>', 'file holding the submitter bearer token (mode 0600); default: $FLEETLOG_TOKEN')
    .option('--wait', 'wait until a published checkpoint covering both meets the quorum, then write --out')
    .addOption(durationOption('--timeout <duration>', 'how long --wait waits, e.g. 2m', 120_000, 1))
    .option('--out <file>', 'with --wait: where to write the offline validation bundle')
    .addOption(jsonOption())
    .action(
      action(async (opts) => {
        if (opts.wait && opts.out === undefined)
          throw new FleetlogError('usage', '--wait needs --out FILE for the bundle');
        if (!opts.wait && opts.out !== undefined) throw new FleetlogError('usage', '--out is written only with --wait');
        const timeoutMs = opts.timeout;
        const { policy } = readPolicyFile(opts.policy);
        const token = readToken(opts.tokenFile);
        const evidenceBytes = readEntryFile(opts.evidence, 'evidence');
        const keysetBytes = readEntryFile(opts.keyset, 'key set');
        const r = await submitKeyset({
          log: new PublishLogClient(opts.log),
          token,
          policy,
          evidenceBytes,
          keysetBytes,
          ...(opts.wait ? { wait: { timeoutMs } } : {}),
        });
        if (r.bundle && opts.out !== undefined) writeOutput(opts.out, r.bundle.text, 'bundle');
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({
              evidence: r.evidence,
              keyset: r.keyset,
              ...(r.bundle ? { bundle: opts.out, checkpointSize: r.bundle.size, cosigners: r.bundle.cosigners } : {}),
            })}\n`,
          );
          return;
        }
        const said = (what: string, e: { index: number; duplicate: boolean }) =>
          `${what} ${e.duplicate ? 'was already logged' : 'logged'} at index ${e.index}\n`;
        process.stdout.write(said('deployment evidence', r.evidence) + said('key set', r.keyset));
        if (r.bundle)
          process.stdout.write(
            `checkpoint of size ${r.bundle.size} cosigned by ${r.bundle.cosigners.join(', ') || 'no witness (quorum none)'} meets the quorum; wrote ${opts.out}, verified with the client's audit steps 1-8\n`,
          );
      }),
    );
}
