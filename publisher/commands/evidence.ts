/** `fleetlog fleet evidence`: the deployment-evidence entry from the operator's description, checked against rules E1-E4. */
import { Command } from '@commander-js/extra-typings';
import { jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { entryLeafHashHex } from '../../core/entries/entry.ts';
import { evidenceFromDescription } from '../index.ts';
import { readJsonFile, readPolicyFile, writeOutput } from '../files.ts';

export function evidenceCommand() {
  return new Command('evidence')
    .addHelpText(
      'after',
      '\nExit status: 0 written, 1 the evidence fails its schema or rules E1-E4, 2 usage or I/O error.',
    )
    .description(
      'build a deployment-evidence entry from a JSON description of the deployment and check it (rules E1-E4) before writing it',
    )
    .requiredOption(
      '--description <file>',
      'the deployment: fleetId, specVersion, firmware, hsms (keys, measurement, vendor attestation), ceremony',
    )
    .requiredOption('--policy <file>', 'trust policy: its fleetlog hsm-vendor keys check the attestations')
    .requiredOption('--out <file>', 'where to write the entry (its exact canonical bytes)')
    .addOption(jsonOption())
    .action(
      action((opts) => {
        const { policy } = readPolicyFile(opts.policy);
        const { evidence, bytes } = evidenceFromDescription(
          readJsonFile(opts.description, 'deployment description'),
          policy,
        );
        writeOutput(opts.out, bytes, 'evidence');
        const leaf = entryLeafHashHex(bytes);
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ out: opts.out, fleetId: evidence.fleetId, hsms: evidence.hsms.length, leafHash: leaf })}\n`,
          );
        else
          process.stdout.write(
            `wrote ${opts.out}: deployment evidence for fleet ${evidence.fleetId}, ${evidence.hsms.length} HSMs attested, firmware ${evidence.firmware.release}, leaf hash ${leaf}\n`,
          );
      }),
    );
}
