/** `fleetlog keygen`: create a signer key file (0600) and print its vkey. */
import type { Command } from 'commander';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey } from '../core/note/keys.ts';
import { FleetlogError } from '../core/errors.ts';
import { writeKeyFile } from '../service/key-file.ts';
import { action } from './run.ts';

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 signer key file (mode 0600) and print its vkey')
    .requiredOption('--name <name>', 'key name; for a log, its origin (e.g. example.com/fleetlog)')
    .option('--type <type>', 'log (note signatures, vkey type 0x01) or witness (cosignatures, type 0x04)', 'log')
    .requiredOption('--out <file>', 'where to write the skey; refuses to overwrite')
    .action(
      action((opts: { name: string; type: string; out: string }) => {
        if (opts.type !== 'log' && opts.type !== 'witness')
          throw new FleetlogError('usage', '--type must be log or witness');
        const { skey, vkey } = generateKey(opts.name, opts.type === 'log' ? KEY_TYPE_ED25519 : KEY_TYPE_COSIGNATURE);
        writeKeyFile(opts.out, skey);
        process.stdout.write(`${vkey}\n`);
      }),
    );
}
