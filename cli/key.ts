/** `fleetlog key vkey FILE`: the vkey of an skey file (recovers a lost keygen output). */
import { Command } from '@commander-js/extra-typings';
import { parseSignerKey } from '../core/note/keys.ts';
import { readKeyFile } from '../service/key-file.ts';
import { action } from './run.ts';

export function keyCommand() {
  const key = new Command('key').description('inspect signer key files');
  key
    .command('vkey')
    .description('print the vkey (public verifier key) of an skey file')
    .argument('<file>', 'skey file (mode 0600)')
    .action(
      action((file: string) => {
        process.stdout.write(`${parseSignerKey(readKeyFile(file)).vkey}\n`);
      }),
    );
  return key;
}
