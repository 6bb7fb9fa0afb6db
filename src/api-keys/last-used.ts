import type { Knex } from 'knex';

/** `last_used_at` is informational ("is this key still used?"): minute precision is plenty. */
export const LAST_USED_RESOLUTION_MS = 60_000;
const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
const BATCH_SIZE = 500;
const MAX_PENDING = 50_000;

export interface LastUsedRecorderOptions {
  flushIntervalMs?: number;
  clock?: () => number;
  /** A failed flush (database down); the uses are retried on the next flush. */
  onError?: (error: unknown) => void;
}

/**
 * Records that keys were used without a database write per request: uses
 * are collected in memory and written in batches on a timer, and a key's
 * `last_used_at` changes at most once per {@link LAST_USED_RESOLUTION_MS}.
 * The condition lives in the UPDATE itself, so several instances sharing
 * one database still write each key at most once a minute between them.
 */
export class LastUsedRecorder {
  readonly #knex: Knex;
  readonly #clock: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Set<string>();
  /** When this process last wrote each key, so a busy key is not even queued again within the minute. */
  readonly #written = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<number> | undefined;

  constructor(knex: Knex, options: LastUsedRecorderOptions = {}) {
    this.#knex = knex;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? (() => undefined);
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    // Bookkeeping must never keep a process (the CLI, a test) alive.
    this.#timer.unref();
  }

  /** Notes a successful use of a key; cheap and synchronous. */
  record(id: string): void {
    const written = this.#written.get(id);
    if (written !== undefined && written > this.#clock() - LAST_USED_RESOLUTION_MS) return;
    // Bounded: under a flood of distinct keys with the database away, a
    // few last-used times are lost rather than memory.
    if (this.#pending.size < MAX_PENDING) this.#pending.add(id);
  }

  /**
   * Writes the uses recorded so far (a flush already running is awaited
   * rather than doubled).
   * @returns how many keys' `last_used_at` changed.
   */
  flush(): Promise<number> {
    this.#flushing ??= this.#write().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #write(): Promise<number> {
    const now = this.#clock();
    for (const [id, at] of this.#written) {
      if (at <= now - LAST_USED_RESOLUTION_MS) this.#written.delete(id);
    }
    const ids = [...this.#pending];
    this.#pending.clear();
    let changed = 0;
    for (let start = 0; start < ids.length; start += BATCH_SIZE) {
      const batch = ids.slice(start, start + BATCH_SIZE);
      try {
        changed += await this.#knex('api_keys')
          .whereIn('id', batch)
          .where((where) => where.whereNull('last_used_at').orWhere('last_used_at', '<', now - LAST_USED_RESOLUTION_MS))
          .update({ last_used_at: now });
        for (const id of batch) this.#written.set(id, now);
      } catch (error) {
        for (const id of ids.slice(start)) if (this.#pending.size < MAX_PENDING) this.#pending.add(id);
        this.#onError(error);
        break;
      }
    }
    return changed;
  }

  /** Stops the timer and writes what is still pending. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    // A flush already running took its ids before later uses arrived.
    await this.#flushing;
    await this.flush();
  }
}
