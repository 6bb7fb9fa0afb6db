/**
 * A small read-through cache for registry rows on the token path. Entries
 * live `ttlMs` at most, which bounds how stale another process's change can
 * look (the CLI, another instance); changes made in this process delete
 * their entry at once. Misses are cached too (as `undefined`), so a flood of
 * unknown ids does not become a flood of queries; size is bounded.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(private readonly options: { ttlMs: number; maxEntries: number; clock?: () => number }) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    if (this.options.ttlMs <= 0) return load();
    const now = (this.options.clock ?? Date.now)();
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    if (this.#entries.size >= this.options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const value = load();
    this.#entries.set(key, { value, expiresAt: now + this.options.ttlMs });
    // A failed load (database down) must not be served from the cache.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
