/**
 * Grows a log through its storage layer, not over HTTP: opaque synthetic entries in batches, one
 * signed checkpoint per batch. The benches use it to reach sizes (64k, 1M) that appending through
 * the server would take minutes to build; what they then measure is reads, memory or publication.
 */
import { randomBytes } from 'node:crypto';
import { utf8 } from '../core/bytes.ts';
import { signCheckpoint } from '../core/checkpoint.ts';
import { leafHash } from '../core/merkle/hash.ts';
import { parseSignerKey } from '../core/note/keys.ts';
import { ed25519NoteSigner } from '../core/note/verifiers.ts';
import { keyPath } from '../log-server/data-dir.ts';
import { integrateLeaves } from '../log-server/integrate.ts';
import { recoverFrontier } from '../log-server/recover.ts';
import type { LogStorage, NewEntry } from '../log-server/storage/storage.ts';
import { readKeyFile } from '../service/key-file.ts';

/**
 * Appends entries to `storage` (the log in `dataDir`, signed with its key) until it holds `target`.
 * `padBytes` adds that many random hex digits to each entry: real entries carry keys and signatures
 * and compress about 2x, while the bare synthetic ones compress so well that any cache holds them.
 */
export async function growWithSyntheticEntries(
  storage: LogStorage,
  dataDir: string,
  target: number,
  batchSize = 16384,
  padBytes = 0,
): Promise<void> {
  const head = await storage.head();
  const signer = ed25519NoteSigner(parseSignerKey(readKeyFile(keyPath(dataDir))));
  let frontier = await recoverFrontier(storage, head);
  while (frontier.size < target) {
    const n = Math.min(batchSize, target - frontier.size);
    const entries: NewEntry[] = Array.from({ length: n }, (_, i) => {
      const index = frontier.size + i;
      const pad =
        padBytes > 0
          ? `,"pad":"${randomBytes(Math.ceil(padBytes / 2))
              .toString('hex')
              .slice(0, padBytes)}"`
          : '';
      const data = utf8(`{"bulk":${index},"note":"synthetic benchmark entry"${pad},"type":"fleetlog/bench/v1"}`);
      return { index, data, leafHash: leafHash(data), facts: { kind: 'other' } };
    });
    const integration = integrateLeaves(
      frontier,
      entries.map((e) => e.leafHash),
    );
    const size = integration.frontier.size;
    const note = signCheckpoint({ origin: head.origin, size, rootHash: integration.root }, [signer]);
    await storage.appendBatch({
      entries,
      nodes: integration.nodes,
      checkpoint: { size, rootHash: integration.root, note, signedAtMs: Date.now() },
    });
    frontier = integration.frontier;
  }
}
