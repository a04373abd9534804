/** `fleetlog note sign|verify`: C2SP signed notes from the command line. */
import { Command } from '@commander-js/extra-typings';
import { decodeUtf8 } from '../core/bytes.ts';
import { cosignatureVerifier } from '../core/cosignature.ts';
import { KEY_TYPE_ED25519, parseSignerKey, parseVerifierKey } from '../core/note/keys.ts';
import { openNote, signNote, type NoteVerifier } from '../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../core/note/verifiers.ts';
import { readKeyFile } from '../service/key-file.ts';
import { action, readStdin } from './run.ts';

function signCommand() {
  return new Command('sign')
    .description('sign the text on standard input (must end in a newline) and print the signed note')
    .requiredOption('--key <file>', 'skey file (type 0x01)')
    .action(
      action(async (opts) => {
        const key = parseSignerKey(readKeyFile(opts.key));
        const text = decodeUtf8(await readStdin(), 'standard input');
        process.stdout.write(signNote(text, [ed25519NoteSigner(key)]));
      }),
    );
}

function verifyCommand() {
  return new Command('verify')
    .description('verify the signed note on standard input; exit 0 and print its text only if it verifies')
    .requiredOption('--vkey <vkey...>', 'trusted verifier key(s); type 0x04 keys verify cosignatures')
    .action(
      action(async (opts) => {
        const verifiers: NoteVerifier[] = opts.vkey.map((v) => {
          const info = parseVerifierKey(v);
          return info.type === KEY_TYPE_ED25519 ? ed25519NoteVerifier(info) : cosignatureVerifier(info);
        });
        const opened = openNote(await readStdin(), verifiers);
        process.stdout.write(opened.text);
      }),
    );
}

export function noteCommands() {
  return new Command('note')
    .description('sign and verify C2SP signed notes')
    .addCommand(signCommand())
    .addCommand(verifyCommand());
}
