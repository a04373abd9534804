/**
 * Static publication for a log served by several processes: only the process that holds the
 * leader lease writes the directory. This object has the shape of the leadership hooks
 * (becameLeader, stoppedLeading, checkpointCommitted, checkpointPublished) the sequencing leader
 * calls: it opens a StaticPublisher when this process starts leading (which carries on from
 * whatever the previous leader left in the directory), feeds it every published checkpoint, and
 * closes it without a further round as soon as this process stops leading.
 */
import type { PublisherStatus, PublishTarget, StaticPublisherOptions } from './static-publisher.ts';
import { StaticPublisher } from './static-publisher.ts';

export class LeaderStaticPublishing {
  readonly #options: Omit<StaticPublisherOptions, 'published'>;
  /** The newest checkpoint this process published (the one the directory should hold). */
  #latest: PublishTarget | undefined;
  #publisher: Promise<StaticPublisher | undefined> | undefined;
  /** The publisher once open, while this process leads. */
  #open: StaticPublisher | undefined;
  #status: PublisherStatus | undefined;
  #stopped: Promise<void> = Promise.resolve();

  /** `published` is the checkpoint already published when leadership starts (restored from storage). */
  constructor(
    options: Omit<StaticPublisherOptions, 'published'>,
    readonly published: () => PublishTarget | undefined = () => undefined,
  ) {
    this.#options = options;
  }

  becameLeader(): void {
    if (this.#publisher) return;
    this.#latest ??= this.published();
    const opening = StaticPublisher.open({ ...this.#options, published: () => this.#latest }).then(
      (p) => {
        if (this.#publisher === opening) this.#open = p;
        p.notify();
        return p;
      },
      (e: unknown) => {
        // A directory that is not this log's: say so in health and keep serving the log.
        const message = (e as Error).message ?? String(e);
        this.#options.logger.error('cannot publish static tiles', { dir: this.#options.dir, error: message });
        this.#status = { dir: this.#options.dir, size: null, lastError: message, consecutiveFailures: 1 };
        return undefined;
      },
    );
    this.#publisher = opening;
  }

  checkpointPublished(cp: PublishTarget): void {
    if (this.#latest && cp.size < this.#latest.size) return;
    this.#latest = cp;
    void this.#publisher?.then((p) => p?.notify());
  }

  /** Tiles are written when a checkpoint is published, not when it is committed. */
  checkpointCommitted(): void {}

  stoppedLeading(): void {
    void this.stop(false);
  }

  /** Stops publishing; `finalRound` writes what is newest first (a clean shutdown of the leader). */
  stop(finalRound = true): Promise<void> {
    const opened = this.#publisher;
    this.#publisher = undefined;
    this.#open = undefined;
    // Stops run one after another, so a later stop() returns once every earlier one is done.
    this.#stopped = this.#stopped.then(async () => {
      const p = await opened;
      if (!p) return;
      await p.close({ finalRound });
      this.#status = p.status();
    });
    return this.#stopped;
  }

  /** Null while this process has not led (or is still opening the directory). */
  status(): PublisherStatus | null {
    return this.#open?.status() ?? this.#status ?? null;
  }
}
