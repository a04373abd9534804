/** `fleetlog fleet bundle`: fetch, verify and write a fleet's current offline validation bundle (the file for the CDN). */
import { Command } from '@commander-js/extra-typings';
import { jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { fetchBundle, PublishLogClient } from '../index.ts';
import { readPolicyFile, writeOutput } from '../files.ts';

export function bundleCommand() {
  return new Command('bundle')
    .addHelpText(
      'after',
      '\nExit status: 0 written, 1 the bundle does not verify as a client would verify it, 2 usage, network or I/O error.',
    )
    .description(
      "fetch the fleet's current validation bundle from the log, verify it as a client would (steps 1-8), and write it",
    )
    .requiredOption('--log <url>', 'log URL')
    .requiredOption('--fleet <id>', 'fleet id')
    .requiredOption('--policy <file>', 'trust policy the clients pin')
    .requiredOption('--out <file>', 'where to write the bundle (written only if it verifies)')
    .addOption(jsonOption())
    .action(
      action(async (opts) => {
        const { policy } = readPolicyFile(opts.policy);
        const b = await fetchBundle({ log: new PublishLogClient(opts.log), policy, fleetId: opts.fleet });
        writeOutput(opts.out, b.text, 'bundle');
        const k = b.decision.keyset!;
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ out: opts.out, fleetId: k.fleetId, version: k.version, checkpointSize: b.size, cosigners: b.cosigners, notAfter: k.notAfter })}\n`,
          );
        else
          process.stdout.write(
            `wrote ${opts.out}: fleet ${k.fleetId} key set version ${k.version}, valid until ${new Date(k.notAfter * 1000).toISOString()}, in checkpoint of size ${b.size} cosigned by ${b.cosigners.join(', ') || 'no witness'}; verified (audit steps 1-8)\n`,
          );
      }),
    );
}
