/**
 * A client's view of a log that serves only static files (a `--publish-dir` directory behind nginx
 * or a CDN): the fleet bundle is a file, and the step-5 consistency proof is computed from the
 * log's tiles instead of asked from /proof/consistency. Every hash read from tiles is checked by
 * the audit steps against signed roots, so a static mirror is trusted no more than the log itself.
 */
import { consistencyProofFromTiles, TileNodeReader, TilesClient } from '../../auditor-cli/index.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { LogReader } from './fleet-trust-source.ts';

export class TilesLogReader implements LogReader {
  readonly #client: TilesClient;

  constructor(url: string, options: { timeoutMs?: number; retries?: number } = {}) {
    this.#client = new TilesClient(url, options);
  }

  fleetBundle(fleetId: string): Promise<string> {
    return this.#client.fleetBundle(fleetId);
  }

  /** RFC 9162 consistency proof from `oldSize` to `newSize`, read from the tiles of tree `newSize`. */
  async consistencyProof(oldSize: number, newSize: number): Promise<Hash[]> {
    const { proof } = await consistencyProofFromTiles(new TileNodeReader(this.#client, newSize), oldSize);
    return proof.map((step) => step.hash);
  }
}
