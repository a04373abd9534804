/** `fleetlog keygen`: create a signer key file (0600) and print its vkey. */
import type { Command } from 'commander';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey } from '../core/note/keys.ts';
import { FleetlogError } from '../core/errors.ts';
import { writeKeyFile } from '../service/key-file.ts';
import { action } from './run.ts';

/** Publisher, countersigner and HSM vendor keys are Ed25519 (0x01) like log keys, but named for their role. */
const KEY_ROLES = ['log', 'witness', 'publisher', 'countersigner', 'hsm-vendor'] as const;

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 signer key file (mode 0600) and print its vkey')
    .requiredOption('--name <name>', 'key name; for a log, its origin (e.g. example.com/fleetlog)')
    .option(
      '--type <type>',
      `what the key is for: ${KEY_ROLES.join(', ')} (witness keys make cosignatures, vkey type 0x04; the others are Ed25519, type 0x01)`,
      'log',
    )
    .requiredOption('--out <file>', 'where to write the skey; refuses to overwrite')
    .action(
      action((opts: { name: string; type: string; out: string }) => {
        if (!(KEY_ROLES as readonly string[]).includes(opts.type))
          throw new FleetlogError('usage', `--type must be one of ${KEY_ROLES.join(', ')}`);
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
