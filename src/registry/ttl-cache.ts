import { LRUCache } from 'lru-cache';

/**
 * A small read-through cache for registry rows on the token path. Entries
 * live `ttlMs` at most from the start of their load, which bounds how stale
 * another process's change can look (the CLI, another instance); changes
 * made in this process delete their entry at once. Misses are cached too (as
 * `undefined`), so a flood of unknown ids does not become a flood of
 * queries; size is bounded (least recently used evicted first).
 *
 * The cache holds the load's promise, so concurrent requests for one id
 * share one query. Not lru-cache's `fetch`: a `delete` while a load is in
 * flight must let that load's callers have its answer and start the next
 * caller on a fresh one, where `fetch` would reject the callers (or, told to
 * ignore the abort, store the old row after the delete).
 */
export class TtlCache<V> {
  readonly #entries: LRUCache<string, Promise<V>> | undefined;

  constructor(options: { ttlMs: number; maxEntries: number; clock?: () => number }) {
    this.#entries =
      options.ttlMs > 0
        ? new LRUCache({ max: options.maxEntries, ttl: options.ttlMs, perf: { now: options.clock ?? Date.now }, ttlResolution: 0 })
        : undefined;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const entries = this.#entries;
    if (!entries) return load();
    const cached = entries.get(key);
    if (cached) return cached;
    const value = load();
    entries.set(key, value);
    // A failed load (database down) must not be served from the cache.
    value.catch(() => {
      if (entries.peek(key) === value) entries.delete(key);
    });
    return value;
  }

  delete(key: string): void {
    this.#entries?.delete(key);
  }

  clear(): void {
    this.#entries?.clear();
  }
}
