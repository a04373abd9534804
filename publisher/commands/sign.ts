/** `fleetlog fleet sign`: the publisher signs a draft key set. */
import { Command } from '@commander-js/extra-typings';
import { jsonOption } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { parseSignerKey } from '../../core/note/keys.ts';
import { readKeyFile } from '../../service/key-file.ts';
import { formatKeysetDraft, parseKeysetDraft, requirePinnedKey, signAsPublisher } from '../index.ts';
import { readJsonFile, readPolicyFile, writeOutput } from '../files.ts';

export function signCommand() {
  return new Command('sign')
    .addHelpText(
      'after',
      '\nExit status: 0 written, 1 the draft is not valid, 2 a key the policy does not pin, usage or I/O error.',
    )
    .description('sign a draft key set as the publisher (the countersigner then reviews it)')
    .requiredOption('--key <file>', 'publisher skey file (from fleetlog keygen --type publisher)')
    .requiredOption('--draft <file>', 'draft key set (from fleet draft)')
    .requiredOption('--out <file>', 'where to write the signed key set for the countersigner')
    .option('--policy <file>', 'trust policy: refuse to sign with a key it does not pin as a publisher')
    .addOption(jsonOption())
    .action(
      action((opts) => {
        const key = parseSignerKey(readKeyFile(opts.key));
        if (opts.policy !== undefined)
          requirePinnedKey('publisher', key, readPolicyFile(opts.policy).policy.publishers);
        const signed = signAsPublisher(parseKeysetDraft(readJsonFile(opts.draft, 'draft')), key);
        writeOutput(opts.out, formatKeysetDraft(signed), 'signed key set');
        const b = signed.body;
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ out: opts.out, fleetId: b.fleetId, version: b.version, publisher: key.name })}\n`,
          );
        else
          process.stdout.write(
            `wrote ${opts.out}: fleet ${b.fleetId} key set version ${b.version} signed by ${key.name}; send it with the evidence to the countersigner (fleet countersign)\n`,
          );
      }),
    );
}
