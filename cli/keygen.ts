/** `fleetlog keygen`: create a signer key file (0600) and print its vkey. */
import { Command, Option } from '@commander-js/extra-typings';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey } from '../core/note/keys.ts';
import { writeKeyFile } from '../service/key-file.ts';
import { action } from './run.ts';

export function keygenCommand() {
  return new Command('keygen')
    .description('create an Ed25519 signer key file (mode 0600) and print its vkey')
    .requiredOption('--name <name>', 'key name; for a log, its origin (e.g. example.com/fleetlog)')
    .addOption(
      new Option('--type <type>', 'log (note signatures, vkey type 0x01) or witness (cosignatures, type 0x04)')
        .choices(['log', 'witness'] as const)
        .default('log' as const),
    )
    .requiredOption('--out <file>', 'where to write the skey; refuses to overwrite')
    .action(
      action((opts) => {
        const { skey, vkey } = generateKey(opts.name, opts.type === 'log' ? KEY_TYPE_ED25519 : KEY_TYPE_COSIGNATURE);
        writeKeyFile(opts.out, skey);
        process.stdout.write(`${vkey}\n`);
      }),
    );
}
