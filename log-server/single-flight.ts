/**
 * Concurrent callers asking for the same key share one computation: a cache miss that many
 * requests hit at once (a flood of the same uncached tile, say) then costs one storage read and
 * one copy in memory, not one per request. The entry is dropped when the computation settles, so
 * a failure is not remembered and the next caller tries again.
 */
export class SingleFlight<V> {
  readonly #running = new Map<string, Promise<V>>();

  run(key: string, compute: () => Promise<V>): Promise<V> {
    const running = this.#running.get(key);
    if (running) return running;
    const started = compute().finally(() => this.#running.delete(key));
    this.#running.set(key, started);
    return started;
  }

  /** Computations in progress (for tests and metrics). */
  get size(): number {
    return this.#running.size;
  }
}
