/**
 * A virtual clock for the in-process network: message delays pass in simulated time, and the
 * clock jumps to the next delivery whenever the process has nothing else to do. A run then
 * measures the protocol's network time exactly (its round trips, which of them are sequential,
 * which replicas it waits for), independent of how busy the machine is, and a study of thousands
 * of recoveries takes only their CPU time. CPU time itself counts as zero: the study measures it
 * separately (the compute floor) and with real processes.
 *
 * How: sleep(ms) queues a wake-up at now + ms. When the queue is non-empty a setImmediate turn
 * pops the earliest wake-up, sets `now` to it and resolves it; Node drains every microtask (all
 * continuations of the in-process fleet, which does no real I/O) before the next setImmediate
 * turn, so each delivery's consequences are queued before the clock moves on. Real timers (the
 * proposer's backoff after a ballot conflict) still run in real time.
 */
export class VirtualClock {
  #now = 0;
  #seq = 0;
  readonly #queue: { at: number; seq: number; wake: () => void }[] = [];
  #pumping = false;

  /** Simulated milliseconds since the clock was made. */
  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      const item = { at: this.#now + Math.max(0, ms), seq: this.#seq++, wake };
      // Sorted by (at, seq): equal times wake in the order they were queued.
      let lo = 0;
      let hi = this.#queue.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const q = this.#queue[mid]!;
        if (q.at < item.at || (q.at === item.at && q.seq < item.seq)) lo = mid + 1;
        else hi = mid;
      }
      this.#queue.splice(lo, 0, item);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    setImmediate(() => {
      this.#pumping = false;
      const next = this.#queue.shift();
      if (!next) return;
      this.#now = next.at;
      next.wake();
      if (this.#queue.length > 0) this.#schedule();
    });
  }
}
