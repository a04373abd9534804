/** `fleetlog note sign|verify`: C2SP signed notes from the command line. */
import type { Command } from 'commander';
import { decodeUtf8 } from '../core/bytes.ts';
import { cosignatureVerifier } from '../core/cosignature.ts';
import { FleetlogError } from '../core/errors.ts';
import { KEY_TYPE_ED25519, parseSignerKey, parseVerifierKey } from '../core/note/keys.ts';
import { openNote, signNote, type NoteVerifier } from '../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../core/note/verifiers.ts';
import { readKeyFile } from '../service/key-file.ts';
import { action, readStdin } from './run.ts';

export function registerNote(program: Command): void {
  const note = program.command('note').description('sign and verify C2SP signed notes');
  note
    .command('sign')
    .description('sign the text on standard input (must end in a newline) and print the signed note')
    .requiredOption('--key <file>', 'skey file (type 0x01)')
    .action(
      action(async (opts: { key: string }) => {
        const key = parseSignerKey(readKeyFile(opts.key));
        const text = decodeUtf8(await readStdin(), 'standard input');
        process.stdout.write(signNote(text, [ed25519NoteSigner(key)]));
      }),
    );
  note
    .command('verify')
    .description('verify the signed note on standard input; exit 0 and print its text only if it verifies')
    .requiredOption('--vkey <vkey...>', 'trusted verifier key(s); type 0x04 keys verify cosignatures')
    .action(
      action(async (opts: { vkey: string[] }) => {
        if (opts.vkey.length === 0) throw new FleetlogError('usage', 'at least one --vkey is required');
        const verifiers: NoteVerifier[] = opts.vkey.map((v) => {
          const info = parseVerifierKey(v);
          return info.type === KEY_TYPE_ED25519 ? ed25519NoteVerifier(info) : cosignatureVerifier(info);
        });
        const opened = openNote(await readStdin(), verifiers);
        process.stdout.write(opened.text);
      }),
    );
}
