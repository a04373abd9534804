/**
 * A least-recently-used map bounded by the bytes its values claim (not by count), so a cache that
 * anyone can fill with requests of their choosing stays within a fixed amount of memory. A value
 * larger than the whole bound is not kept.
 */
export class ByteLru<V extends { readonly bytes: number }> {
  readonly #map = new Map<string, V>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    if (value.bytes > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.bytes;
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#bytes += value.bytes;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.bytes;
    }
  }

  /** The bytes held now (at most `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }
}
