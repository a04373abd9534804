/** `fleetlog keygen`: create a signer key file (0600) and print its vkey. */
import { Command, Option } from '@commander-js/extra-typings';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey } from '../core/note/keys.ts';
import { writeKeyFile } from '../service/key-file.ts';
import { action } from './run.ts';

/** Publisher, countersigner and HSM vendor keys are Ed25519 like log keys, but made under their own role. */
const KEY_ROLES = ['log', 'witness', 'publisher', 'countersigner', 'hsm-vendor'] as const;

export function keygenCommand() {
  return new Command('keygen')
    .description('create an Ed25519 signer key file (mode 0600) and print its vkey')
    .requiredOption('--name <name>', 'key name; for a log, its origin (e.g. example.com/fleetlog)')
    .addOption(
      new Option(
        '--type <type>',
        'what the key is for: witness keys make cosignatures (vkey type 0x04); log, publisher, countersigner and hsm-vendor keys are Ed25519 (type 0x01)',
      )
        .choices(KEY_ROLES)
        .default('log' as const),
    )
    .requiredOption('--out <file>', 'where to write the skey; refuses to overwrite')
    .action(
      action((opts) => {
        const { skey, vkey } = generateKey(
          opts.name,
          opts.type === 'witness' ? KEY_TYPE_COSIGNATURE : KEY_TYPE_ED25519,
        );
        writeKeyFile(opts.out, skey);
        process.stdout.write(`${vkey}\n`);
        if (opts.type === 'publisher' || opts.type === 'countersigner' || opts.type === 'hsm-vendor')
          process.stderr.write(
            `pin it with: fleetlog policy add-role --policy FILE --role ${opts.type} --vkey '${vkey}'\n`,
          );
      }),
    );
}
