import type { RedisConnection as Redis } from '../redis/client.js';
import type { LimitSpec } from './limit-spec.js';
import { memoryWindows, type WindowStoreOptions } from './memory-windows.js';
import { breakerFor, redisFirst } from './redis.js';
import type { RedisDownPolicy } from './settings.js';
import type { LimitStanding } from './respond.js';

/** One fixed window a grant is charged to: its counter key and its limit. */
export interface QuotaWindow {
  readonly key: string;
  readonly limit: LimitSpec;
}

export type QuotaVerdict =
  | {
      readonly granted: true;
      /** Per window, where it stands after this grant; undefined where it could not be asked (failing open). */
      readonly standings: readonly (LimitStanding | undefined)[];
      /** Gives the grant back, for an issuance that failed after all. */
      release(): Promise<void>;
    }
  | {
      readonly granted: false;
      /** Index of the window that was full. */
      readonly refusedBy: number;
      readonly standing: LimitStanding;
    };

/**
 * Counts grants against quotas in fixed windows that start at the first
 * grant. `take` is all or nothing: each window is charged with one atomic
 * check-and-increment (so two instances cannot both take the last unit),
 * and when a later window is full the earlier charges are given back. In
 * that moment an earlier window may look fuller than it is and refuse a
 * concurrent request; it never lets one more through than its limit.
 *
 * Never throws: if Redis fails, `onError` is told, Redis is skipped for a
 * moment (see `breakerFor`), and meanwhile the quota is counted in this
 * process's memory (each instance then allows the whole quota on its own),
 * or, with `whenRedisDown: 'open'`, not at all.
 */
export interface QuotaCounter {
  take(windows: readonly QuotaWindow[]): Promise<QuotaVerdict>;
}

export interface QuotaCounterOptions extends WindowStoreOptions {
  /** While Redis is unavailable: count in this process (`memory`, also for `closed`) or skip quotas (`open`). */
  readonly whenRedisDown?: RedisDownPolicy | undefined;
}

/** What one check-and-increment found: whether it counted, the count after it, and ms left in the window. */
interface TakeResult {
  readonly taken: boolean;
  readonly count: number;
  readonly ttlMs: number;
}

interface QuotaStore {
  take(key: string, limit: LimitSpec): Promise<TakeResult>;
  giveBack(key: string): Promise<void>;
}

/**
 * A quota counter over Redis (shared, atomic per key) or process memory.
 *
 * @example createQuotaCounter({ redis, onError }).take([{ key: 'tollgate:{client:abc}:token-quota', limit: { max: 1000, durationMs: 3_600_000 } }])
 */
export function createQuotaCounter(options: QuotaCounterOptions): QuotaCounter {
  const { onError } = options;
  const memory = memoryStore(options.memoryCapacity ?? 100_000, options.now ?? Date.now);
  const redis = options.redis ? redisStore(options.redis) : undefined;
  const viaRedis = redisFirst(options.redis, onError, options.whenRedisDown);
  const breaker = options.redis ? breakerFor(options.redis) : undefined;
  // A give-back that fails leaves the window a unit fuller until it ends: reported, never thrown.
  const giveBack = async (store: QuotaStore, keys: readonly string[]) => {
    try {
      await Promise.all(keys.map((key) => store.giveBack(key)));
    } catch (error) {
      breaker?.trip();
      onError(error);
    }
  };

  /** Charges every window on one store, all or nothing; throws only if the store fails (charges so far given back). */
  async function takeOn(store: QuotaStore, windows: readonly QuotaWindow[]): Promise<QuotaVerdict> {
    const charged: string[] = [];
    const standings: (LimitStanding | undefined)[] = windows.map(() => undefined);
    for (const [index, { key, limit }] of windows.entries()) {
      let result: TakeResult;
      try {
        // One key per call keeps every command inside one Cluster slot.
        result = await store.take(key, limit);
      } catch (error) {
        await giveBack(store, charged);
        throw error;
      }
      const resetSeconds = Math.ceil((result.ttlMs > 0 ? result.ttlMs : limit.durationMs) / 1000);
      if (!result.taken) {
        await giveBack(store, charged);
        return { granted: false, refusedBy: index, standing: { limit: limit.max, remaining: 0, resetSeconds: Math.max(1, resetSeconds) } };
      }
      charged.push(key);
      standings[index] = { limit: limit.max, remaining: Math.max(0, limit.max - result.count), resetSeconds };
    }
    return { granted: true, standings, release: () => giveBack(store, charged) };
  }

  return {
    async take(windows) {
      const answer = await viaRedis(() => takeOn(redis!, windows));
      if ('value' in answer) return answer.value;
      if (answer.fallback === 'open') return { granted: true, standings: windows.map(() => undefined), release: async () => undefined };
      return takeOn(memory, windows);
    },
  };
}

/** Scripts so each check-and-increment and each give-back is one atomic round trip. */
const SCRIPTS = {
  // A full window is not incremented, so refusals never lengthen or inflate it.
  // PTTL -1 (no expiry) repairs a key left without one.
  tollgateQuotaTake: {
    numberOfKeys: 1,
    lua: `local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) ttl = tonumber(ARGV[2]) end
  return { 0, count, ttl }
end
count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return { 1, count, redis.call('PTTL', KEYS[1]) }`,
  },
  // A window that ended meanwhile is not recreated (it would have no expiry).
  tollgateQuotaGiveBack: {
    numberOfKeys: 1,
    lua: `if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0`,
  },
} as const;

function redisStore(redis: Redis): QuotaStore {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, definition);
  }
  // defineCommand adds these methods at run time (typed in redis-scripts.d.ts).
  return {
    async take(key, limit) {
      const [taken, count, ttlMs] = await redis.tollgateQuotaTake(key, limit.max, limit.durationMs);
      return { taken: taken === 1, count, ttlMs };
    },
    async giveBack(key) {
      await redis.tollgateQuotaGiveBack(key);
    },
  };
}

/** One process's windows; a single-threaded event loop makes each take atomic. */
function memoryStore(capacity: number, now: () => number): QuotaStore {
  const windows = memoryWindows(capacity, now);
  return {
    async take(key, limit) {
      const live = windows.live(key);
      if (live && live.count >= limit.max) return { taken: false, count: live.count, ttlMs: live.endsAt - now() };
      const window = windows.hit(key, limit.durationMs);
      return { taken: true, count: window.count, ttlMs: window.endsAt - now() };
    },
    async giveBack(key) {
      const window = windows.live(key);
      if (window && window.count > 0) window.count -= 1;
    },
  };
}
