import { LRUCache } from 'lru-cache';
import type { RedisConnection as Redis } from '../redis/client.js';
import type { RateLimitErrorHandler } from './respond.js';

/** Where a fixed-window counter keeps its windows, as its callers choose it. */
export interface WindowStoreOptions {
  /** Shared by every instance when given; otherwise each process counts in memory. */
  readonly redis?: Redis | undefined;
  readonly onError: RateLimitErrorHandler;
  /** Most windows the memory store tracks at once (default 100 000). */
  readonly memoryCapacity?: number | undefined;
  /** Memory store clock, for tests. */
  readonly now?: (() => number) | undefined;
}

/** One window in memory: its count so far and when it ends (epoch ms). */
export interface MemoryWindow {
  count: number;
  readonly endsAt: number;
}

export interface MemoryWindows {
  /** The window of `key` if it has not ended; an ended one is dropped. */
  live(key: string): MemoryWindow | undefined;
  /** Counts one for `key`: in its live window, or in a new one of `durationMs`. */
  hit(key: string, durationMs: number): MemoryWindow;
}

/**
 * Fixed windows in process memory: the memory side of the per-address
 * limit, the failure counter and the token quotas. Windows are keyed by
 * client address, which a caller controls, so the store is bounded: when
 * full, the least recently counted window goes, which only hands that
 * subject a fresh window (the lesser harm than an exhausted heap).
 */
export function memoryWindows(capacity: number, now: () => number): MemoryWindows {
  const windows = new LRUCache<string, MemoryWindow>({ max: capacity });
  const live = (key: string) => {
    const window = windows.get(key);
    if (window && window.endsAt <= now()) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };
  return {
    live,
    hit(key, durationMs) {
      const window = live(key);
      if (window) {
        window.count += 1;
        return window;
      }
      const started = { count: 1, endsAt: now() + durationMs };
      windows.set(key, started);
      return started;
    },
  };
}
