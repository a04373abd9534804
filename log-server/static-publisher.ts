/**
 * Static tiles: keeps a directory that any static web server or CDN can serve as this log's C2SP
 * tlog-tiles read API, with the log-server stopped:
 *
 *   checkpoint                      the published checkpoint (quorum met), with its cosignatures
 *   tile/<L>/<N>[.p/<W>]            hash tiles at every level, full and partial
 *   tile/entries/<N>[.p/<W>]        entry bundles, and beside each a gzip copy `<path>.gz`
 *                                   (for nginx's gzip_static: compressed once, not per request)
 *   fleet-bundle/<fleetId>          each fleet's validation bundle (specs/formats.md §13)
 *   .tmp/                           temporary files (never served; emptied on start)
 *
 * A round publishes the checkpoint that `published()` returns now: every tile the tree grew by,
 * every fleet bundle, then the checkpoint. Every file is written to a temporary name, fsynced and
 * renamed; the directories are fsynced before the checkpoint is renamed into place, so even after
 * a crash or power loss a reader never finds a checkpoint whose tiles are missing. Tile paths name
 * immutable content (a partial tile is a prefix of its full tile), so a tile file that exists is
 * never rewritten; one whose bytes differ from the log's stops publication (fail closed).
 *
 * Rounds run one at a time and coalesce: `notify()` while a round runs just means "run again with
 * whatever is newest then". A failed round is logged, shown in `status()`, and retried with backoff.
 *
 * Several processes on one database: only the sequencing leader should own a publisher (open it on
 * taking the lease, close it on losing it: `startLeading` in leadership.ts does that). Tile bytes are the same whoever writes them, and a
 * round re-reads the directory's checkpoint just before replacing it, so a deposed leader that is
 * still finishing a round does not move it back (short of losing a race of a few microseconds
 * between that read and its rename, which needs two writers at once).
 *
 * Any state of the directory is a valid start (a restart after kill -9, or a new leader taking over
 * from another process): the checkpoint on disk says what is complete, it must be one this log
 * signed, and the first round writes everything after it. The checkpoint never moves backwards.
 *
 * Fleet bundles: a fleet's bundle is re-proved against the new checkpoint in the round that
 * publishes a new key set for it, and every bundle at most every `bundleRefreshMs` (default 60 s)
 * otherwise, so the cost of a round does not grow with the number of fleets. A bundle against an
 * older checkpoint stays valid: a client that saw a newer one checks it is a prefix (audit step 5).
 *
 * Obsolete partial tiles: a partial tile is deleted once the full tile at its position has existed
 * for `partialGraceMs` (default 10 minutes). Until then a reader holding an older checkpoint finds
 * its partial tile; after that it finds the full tile, which C2SP tlog-tiles clients fall back to.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bytesEqual } from '../core/bytes.ts';
import { openCheckpoint } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import type { Hash } from '../core/merkle/hash.ts';
import {
  hashCountAtLevel,
  TILE_WIDTH,
  tilePath,
  tilesAtLevel,
  type TileId,
  type TileKind,
} from '../core/merkle/tiles.ts';
import { ed25519NoteVerifier } from '../core/note/verifiers.ts';
import { DirectorySync, ensureDirectory, writeFileAtomicBatched } from '../service/durable-files.ts';
import type { Logger } from '../service/logger.ts';
import type { LogMetrics } from './metrics.ts';
import type { ProofService } from './proofs.ts';
import type { LogStorage } from './storage/storage.ts';
import type { TileReader } from './tile-reader.ts';

/** What to publish: the checkpoint served at /checkpoint (log signature plus cosignatures). */
export interface PublishTarget {
  readonly size: number;
  readonly note: string;
}

export interface StaticPublisherOptions {
  readonly dir: string;
  readonly origin: string;
  readonly vkey: string;
  readonly storage: LogStorage;
  readonly tiles: TileReader;
  readonly proofs: ProofService;
  /** The checkpoint to publish now (the quorum-met one), or undefined before there is one. */
  readonly published: () => PublishTarget | undefined;
  readonly logger: Logger;
  /** Where the directory's size and failed rounds are counted (optional). */
  readonly metrics?: Pick<LogMetrics, 'staticSize' | 'staticFailures'>;
  /** How often every fleet bundle is re-proved against the newest checkpoint (default 60 s). */
  readonly bundleRefreshMs?: number;
  /** How long partial tiles stay after their full tile exists (default 10 minutes). */
  readonly partialGraceMs?: number;
  /** First retry delay after a failed round; doubles up to 30 s (default 1 s). */
  readonly retryBaseMs?: number;
  /** Replaces the file writer (tests inject faults here). */
  readonly writeFile?: typeof writeFileAtomicBatched;
}

export interface PublisherStatus {
  readonly dir: string;
  /** Size of the checkpoint in the directory (null: none yet). */
  readonly size: number | null;
  readonly lastError: string | undefined;
  readonly consecutiveFailures: number;
}

interface OnDisk {
  readonly size: number;
  readonly rootHash: Hash;
  readonly note: string;
}

const FLEET_PAGE = 100;
/** Files written at once (each costs an fsync, and fsyncs overlap). */
const PARALLEL_WRITES = 8;
/** How far back start-up looks for partial-tile directories left behind at full positions. */
const SWEEP_LOOKBACK = 1024;

export class StaticPublisher {
  readonly #o: StaticPublisherOptions;
  readonly #tmp: string;
  readonly #grace: number;
  readonly #write: typeof writeFileAtomicBatched;
  #disk: OnDisk | undefined;
  /** Partial-tile directories (`<full tile>.p`) to delete once due, oldest first. */
  readonly #sweep: Array<{ dir: string; dueMs: number }> = [];
  readonly #queued = new Set<string>();
  #dirty = false;
  #running: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #failures = 0;
  #lastError: string | undefined;
  #warnedBehind = false;
  #bundlesRefreshedAtMs = 0;
  /** Every fleet bundle is against a checkpoint at least this large. */
  #bundlesAtSize = 0;
  readonly #bundleRefreshMs: number;
  /** Set by close(): no new rounds start on their own. */
  #closing = false;

  private constructor(options: StaticPublisherOptions, disk: OnDisk | undefined) {
    this.#o = options;
    this.#tmp = join(options.dir, '.tmp');
    this.#grace = options.partialGraceMs ?? 10 * 60_000;
    this.#write = options.writeFile ?? writeFileAtomicBatched;
    this.#bundleRefreshMs = options.bundleRefreshMs ?? 60_000;
    this.#disk = disk;
  }

  /**
   * Opens `dir` (created if missing), empties its `.tmp/`, and reads the checkpoint it holds. Refuses
   * (`usage`) a directory whose checkpoint is not this log's, or (`inconsistent`) one this log never
   * signed: publishing on top of it would show readers two histories.
   */
  static async open(options: StaticPublisherOptions): Promise<StaticPublisher> {
    const { dir } = options;
    try {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await rm(join(dir, '.tmp'), { recursive: true, force: true });
      await mkdir(join(dir, '.tmp'), { mode: 0o755 });
    } catch (e) {
      throw new FleetlogError('io', `cannot use publish directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const disk = await readOnDisk(options);
    const publisher = new StaticPublisher(options, disk);
    if (disk) {
      options.metrics?.staticSize.set(disk.size);
      await publisher.#seedSweep(disk.size);
    }
    // Wakes an idle publisher to sweep partial tiles and refresh stale fleet bundles.
    const tick = Math.max(1000, Math.min(publisher.#grace, publisher.#bundleRefreshMs, 60_000));
    publisher.#sweepTimer = setInterval(() => publisher.notify(), tick);
    publisher.#sweepTimer.unref();
    options.logger.info('publishing static tiles', { dir, size: disk?.size ?? null });
    return publisher;
  }

  /** The log changed (a checkpoint was committed or published): publish whatever is newest. */
  notify(): void {
    this.#dirty = true;
    if (this.#closing || this.#running || this.#retryTimer) return;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
      if (this.#dirty) this.notify();
    });
  }

  status(): PublisherStatus {
    return {
      dir: this.#o.dir,
      size: this.#disk?.size ?? null,
      lastError: this.#lastError,
      consecutiveFailures: this.#failures,
    };
  }

  /**
   * Waits for the running round, publishes once more what is newest (unless `finalRound` is false:
   * a leader that lost its lease must stop writing), and stops.
   */
  async close(options: { finalRound?: boolean } = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#running;
    if (options.finalRound === false) return;
    this.#dirty = true;
    await this.#loop();
  }

  async #loop(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      try {
        await this.#round();
        this.#failures = 0;
        this.#lastError = undefined;
      } catch (e) {
        this.#failures += 1;
        this.#o.metrics?.staticFailures.inc();
        this.#lastError = (e as Error).message ?? String(e);
        this.#o.logger.error('static publication failed; the directory still serves its previous checkpoint', {
          dir: this.#o.dir,
          error: this.#lastError,
          failures: this.#failures,
        });
        if (!this.#closing) {
          const delay = Math.min(30_000, (this.#o.retryBaseMs ?? 1000) * 2 ** Math.min(this.#failures - 1, 15));
          this.#retryTimer = setTimeout(() => {
            this.#retryTimer = undefined;
            this.notify();
          }, delay);
          this.#retryTimer.unref();
        }
        return;
      }
    }
    await this.#sweepDue(Date.now()).catch((e: unknown) =>
      this.#o.logger.warn('cannot delete obsolete partial tiles', { error: String(e) }),
    );
  }

  async #round(): Promise<void> {
    const target = this.#o.published();
    if (!target) return;
    const disk = this.#disk;
    if (disk && target.size < disk.size) {
      if (!this.#warnedBehind)
        this.#o.logger.warn('the publish directory holds a larger checkpoint than the log publishes; waiting', {
          directory: disk.size,
          published: target.size,
        });
      this.#warnedBehind = true;
      return;
    }
    if (disk && target.size === disk.size && target.note === disk.note) {
      await this.#refreshStaleBundles(disk);
      return;
    }
    const { checkpoint } = openCheckpoint(target.note, [ed25519NoteVerifier(this.#o.vkey)]);
    if (disk && checkpoint.size === disk.size && !bytesEqual(checkpoint.rootHash, disk.rootHash))
      throw new FleetlogError('inconsistent', `two checkpoints of size ${disk.size} with different roots`);

    const sync = new DirectorySync();
    if (target.size > (disk?.size ?? 0)) await this.#writeTiles(disk?.size ?? 0, target.size, sync);
    // A fleet bundle may be read before the checkpoint: the tiles of its tree are durable first.
    await sync.flush();
    const refreshAll = this.#bundleRefreshDue();
    await this.#writeFleetBundles(target, refreshAll ? 0 : (disk?.size ?? 0), sync);
    if (refreshAll) this.#bundlesRefreshed(target.size);
    // Everything the checkpoint names is durable before the checkpoint appears.
    await sync.flush();
    // Another process (a new leader, while this one has not yet heard it lost the lease) may have
    // published further meanwhile: never put an older checkpoint over it.
    const current = await readOnDisk(this.#o);
    if (current && current.size > checkpoint.size) {
      this.#disk = current;
      this.#o.logger.info('the directory already holds a newer checkpoint', { directory: current.size });
      return;
    }
    await this.#write(join(this.#o.dir, 'checkpoint'), target.note, { tmpDir: this.#tmp, sync });
    await sync.flush();
    this.#disk = { size: checkpoint.size, rootHash: checkpoint.rootHash, note: target.note };
    this.#o.metrics?.staticSize.set(checkpoint.size);
    this.#warnedBehind = false;
    this.#o.logger.debug('static checkpoint published', { size: checkpoint.size });
  }

  /** Every tile of the tree of size `to` that the tree of size `from` did not have. */
  async #writeTiles(from: number, to: number, sync: DirectorySync): Promise<void> {
    for (let level = 0; hashCountAtLevel(to, level) > 0; level++) {
      const first = Math.floor(hashCountAtLevel(from, level) / TILE_WIDTH);
      const tiles = tilesAtLevel(to, level).slice(first);
      for (let i = 0; i < tiles.length; i += PARALLEL_WRITES) {
        await Promise.all(
          tiles.slice(i, i + PARALLEL_WRITES).map(async (tile) => {
            await this.#writeTile('hashes', tile, sync);
            if (level === 0) await this.#writeTile('entries', tile, sync);
          }),
        );
      }
    }
  }

  async #writeTile(kind: TileKind, tile: TileId, sync: DirectorySync): Promise<void> {
    const path = join(this.#o.dir, tilePath(tile, kind));
    const data = await this.#o.tiles.read(kind, tile);
    const existing = await readIfExists(path);
    if (existing && !bytesEqual(existing, data))
      throw new FleetlogError(
        'inconsistent',
        `${tilePath(tile, kind)} in the publish directory differs from this log's tile; refusing to publish (is the directory another log's?)`,
      );
    await ensureDirectory(dirname(path), sync);
    const options = { tmpDir: this.#tmp, sync };
    if (!existing) await this.#write(path, data, options);
    if (kind === 'entries' && !(await exists(`${path}.gz`)))
      await this.#write(`${path}.gz`, await this.#o.tiles.readGzippedBundle(tile), options);
    if (tile.width === TILE_WIDTH) this.#scheduleSweep(path, Date.now() + this.#grace);
  }

  #bundleRefreshDue(): boolean {
    return Date.now() - this.#bundlesRefreshedAtMs >= this.#bundleRefreshMs;
  }

  #bundlesRefreshed(size: number): void {
    this.#bundlesRefreshedAtMs = Date.now();
    this.#bundlesAtSize = size;
  }

  /** An idle log: re-prove bundles left against older checkpoints once the refresh is due. */
  async #refreshStaleBundles(disk: OnDisk): Promise<void> {
    if (this.#bundlesAtSize >= disk.size || !this.#bundleRefreshDue()) return;
    const sync = new DirectorySync();
    await this.#writeFleetBundles(disk, 0, sync);
    await sync.flush();
    this.#bundlesRefreshed(disk.size);
  }

  /**
   * The bundle of every fleet with a key set at index `changedFrom` or later (0: every fleet). A
   * bundle left against an older checkpoint stays valid: clients accept a checkpoint older than the
   * one they saw if it is a prefix of it (audit step 5, m > n).
   */
  async #writeFleetBundles(target: PublishTarget, changedFrom: number, sync: DirectorySync): Promise<void> {
    const dir = join(this.#o.dir, 'fleet-bundle');
    let after = '';
    for (;;) {
      const page = await this.#o.storage.listFleets(after, FLEET_PAGE);
      const changed = page.filter(({ keysets }) =>
        keysets.some((k) => k.index >= changedFrom && k.index < target.size),
      );
      if (changed.length > 0) await ensureDirectory(dir, sync);
      for (let i = 0; i < changed.length; i += PARALLEL_WRITES) {
        await Promise.all(
          changed.slice(i, i + PARALLEL_WRITES).map(async ({ fleetId }) => {
            const bundle = await this.#o.proofs.fleetBundle(fleetId, target);
            // Fleet ids match ID_PATTERN ([a-z0-9][a-z0-9._-]*): safe file names, unchanged by URL encoding.
            if (bundle !== undefined) await this.#write(join(dir, fleetId), bundle, { tmpDir: this.#tmp, sync });
          }),
        );
      }
      if (page.length < FLEET_PAGE) return;
      after = page[page.length - 1]!.fleetId;
    }
  }

  #scheduleSweep(fullTilePath: string, dueMs: number): void {
    const dir = `${fullTilePath}.p`;
    if (this.#queued.has(dir)) return;
    this.#queued.add(dir);
    this.#sweep.push({ dir, dueMs });
  }

  async #sweepDue(now: number): Promise<void> {
    while (this.#sweep.length > 0 && this.#sweep[0]!.dueMs <= now) {
      const { dir } = this.#sweep[0]!;
      await rm(dir, { recursive: true, force: true });
      this.#sweep.shift();
      this.#queued.delete(dir);
    }
  }

  /** After a restart: partial-tile directories left at the newest full positions of each level. */
  async #seedSweep(size: number): Promise<void> {
    const due = Date.now() + this.#grace;
    for (let level = 0; hashCountAtLevel(size, level) > 0; level++) {
      const kinds: TileKind[] = level === 0 ? ['hashes', 'entries'] : ['hashes'];
      for (const kind of kinds) {
        const full = Math.floor(hashCountAtLevel(size, level) / TILE_WIDTH);
        for (let index = full - 1; index >= Math.max(0, full - SWEEP_LOOKBACK); index--) {
          const path = join(this.#o.dir, tilePath({ level, index, width: TILE_WIDTH }, kind));
          if (!(await exists(`${path}.p`))) break;
          this.#scheduleSweep(path, due);
        }
      }
    }
  }
}

/** The checkpoint in the directory, checked against the log: its signature, and that the log signed that tree. */
async function readOnDisk(o: StaticPublisherOptions): Promise<OnDisk | undefined> {
  const path = join(o.dir, 'checkpoint');
  const bytes = await readIfExists(path);
  if (!bytes) return undefined;
  const note = Buffer.from(bytes).toString('utf8');
  let size: number;
  let rootHash: Hash;
  try {
    ({ size, rootHash } = openCheckpoint(note, [ed25519NoteVerifier(o.vkey)]).checkpoint);
  } catch (e) {
    throw new FleetlogError(
      'usage',
      `the publish directory ${o.dir} holds a checkpoint that is not this log's (${o.origin}): ${(e as Error).message}`,
    );
  }
  const stored = await o.storage.checkpointAt(size);
  if (!stored || !bytesEqual(stored.rootHash, rootHash))
    throw new FleetlogError(
      'inconsistent',
      `the publish directory ${o.dir} holds a checkpoint of size ${size} that this log did not sign; refusing to publish over it`,
    );
  return { size, rootHash, note };
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
