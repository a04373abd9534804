/**
 * Resuming a log after any stop, including kill -9. Before the log signs anything new it rebuilds
 * the frontier from the stored nodes and checks that it reproduces the newest stored checkpoint,
 * which must be signed by this log's key. Any mismatch stops the server: signing on top of a tree
 * that differs from what was published would fork the log.
 */
import { bytesEqual } from '../core/bytes.ts';
import { openCheckpoint, sameCheckpointHead } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import { Frontier } from '../core/merkle/tree.ts';
import { ed25519NoteVerifier } from '../core/note/verifiers.ts';
import type { LogHead, LogStorage } from './storage/storage.ts';

export async function recoverFrontier(storage: LogStorage, head: LogHead): Promise<Frontier> {
  const cp = head.checkpoint;
  if (head.entryCount !== cp.size) {
    throw new FleetlogError(
      'inconsistent',
      `the log stores ${head.entryCount} entries but its newest checkpoint has size ${cp.size}; refusing to sign anything`,
    );
  }
  const opened = openCheckpoint(cp.note, [ed25519NoteVerifier(head.vkey)]);
  if (
    !sameCheckpointHead(opened.checkpoint, {
      origin: head.origin,
      size: cp.size,
      rootHash: cp.rootHash,
      extensions: [],
    })
  ) {
    throw new FleetlogError(
      'inconsistent',
      `the newest stored checkpoint note does not match its recorded size and root`,
    );
  }
  const frontier = Frontier.restore(cp.size, await storage.readNodes(Frontier.nodes(cp.size)));
  if (!bytesEqual(frontier.root(), cp.rootHash)) {
    throw new FleetlogError(
      'inconsistent',
      `the stored Merkle nodes do not reproduce the root of checkpoint ${cp.size}; refusing to sign anything`,
    );
  }
  return frontier;
}
