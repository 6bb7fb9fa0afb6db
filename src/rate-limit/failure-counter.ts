import type { RedisConnection as Redis } from '../redis-client.js';
import { redisFirst, type RedisAnswer } from './redis.js';
import type { LimitSpec } from './limit-spec.js';
import { memoryWindows, type WindowStoreOptions } from './memory-windows.js';
import { DEFAULT_PREFIX, subjects } from './respond.js';
import type { RedisDownPolicy } from './settings.js';

/** Who made a client-authentication attempt: the client id it named (if any) and its address. */
export interface AuthAttempt {
  readonly clientId: string | undefined;
  readonly ip: string;
}

export type FailureVerdict =
  | { readonly limited: false; readonly unavailable?: false }
  | { readonly limited: true; readonly retryAfterSeconds: number }
  /** Redis is down and `whenRedisDown` is `closed`. */
  | { readonly limited: false; readonly unavailable: true };

/**
 * Failed client authentications, counted per client id and per address in
 * fixed windows. `check` runs before the provider (so before argon2) and
 * never counts; `recordFailure` runs after the provider answered
 * `invalid_client`. Neither throws: if Redis fails, `onError` is told,
 * Redis is skipped for a moment (see `breakerFor`), and meanwhile failures
 * are counted as `whenRedisDown` says: in this process's memory, not at
 * all, or `check` reports the limits unavailable.
 */
export interface FailureCounter {
  check(attempt: AuthAttempt): Promise<FailureVerdict>;
  recordFailure(attempt: AuthAttempt): Promise<void>;
}

export interface FailureCounterOptions extends WindowStoreOptions {
  /** Failures per client id. */
  readonly limit: LimitSpec;
  /** Failures per address (default: `limit`); higher than `limit`, since many clients may share a NAT. */
  readonly ipLimit?: LimitSpec | undefined;
  readonly prefix?: string | undefined;
  /** While Redis is unavailable: count in memory (default), count nothing, or report `unavailable`. */
  readonly whenRedisDown?: RedisDownPolicy | undefined;
}

/** One counter's state: failures in the current window and milliseconds until it ends. */
interface CounterState {
  readonly count: number;
  readonly ttlMs: number;
}

interface CounterStore {
  read(key: string): Promise<CounterState>;
  increment(key: string, durationMs: number): Promise<void>;
}


/** A counter store over Redis or memory, and the counter over it. */
export function createFailureCounter(options: FailureCounterOptions): FailureCounter {
  const { limit, onError } = options;
  const ipLimit = options.ipLimit ?? limit;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const memory = memoryStore(options.memoryCapacity ?? 100_000, options.now ?? Date.now);
  const redis = options.redis ? redisStore(options.redis) : undefined;
  const viaRedis = redisFirst(options.redis, onError, options.whenRedisDown);
  const countersOf = ({ clientId, ip }: AuthAttempt) => [
    { key: `${prefix}:${subjects.ip(ip)}:auth-failures`, limit: ipLimit },
    ...(clientId ? [{ key: `${prefix}:${subjects.client(clientId)}:auth-failures`, limit }] : []),
  ];

  /** Runs `use` on Redis, or on memory when that is the fallback; otherwise the fallback (`open`, `closed`). */
  async function withStore<T>(use: (store: CounterStore) => Promise<T>): Promise<RedisAnswer<T>> {
    const answer = await viaRedis(() => use(redis!));
    return 'fallback' in answer && answer.fallback === 'memory' ? { value: await use(memory) } : answer;
  }

  return {
    async check(attempt) {
      const counters = countersOf(attempt);
      // One key per call keeps every command inside one Cluster slot.
      const answer = await withStore((store) => Promise.all(counters.map(({ key }) => store.read(key))));
      if ('fallback' in answer) return answer.fallback === 'closed' ? { limited: false, unavailable: true } : { limited: false };
      return verdictOf(counters, answer.value);
    },
    async recordFailure(attempt) {
      await withStore((store) => Promise.all(countersOf(attempt).map(({ key, limit: spec }) => store.increment(key, spec.durationMs))));
    },
  };
}

/** Limited while any counter has reached its limit, until the last of those windows ends. */
function verdictOf(counters: readonly { readonly limit: LimitSpec }[], states: readonly CounterState[]): FailureVerdict {
  let waitMs = 0;
  counters.forEach(({ limit: spec }, index) => {
    const state = states[index]!;
    if (state.count >= spec.max) waitMs = Math.max(waitMs, state.ttlMs > 0 ? state.ttlMs : spec.durationMs);
  });
  return waitMs === 0 ? { limited: false } : { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
}

/** Scripts so each read and each INCR + PEXPIRE is one atomic round trip. */
const SCRIPTS = {
  tollgateFailuresRead: {
    numberOfKeys: 1,
    lua: `return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]) }`,
  },
  // The window starts at the first failure; PTTL -1 (no expiry) repairs a key left without one.
  tollgateFailuresIncrement: {
    numberOfKeys: 1,
    lua: `local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`,
  },
} as const;

interface FailureScripts {
  tollgateFailuresRead(key: string): Promise<[number, number]>;
  tollgateFailuresIncrement(key: string, durationMs: number): Promise<number>;
}

function redisStore(redis: Redis): CounterStore {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, definition);
  }
  // defineCommand adds these methods at run time; ioredis cannot type them.
  const scripts = redis as unknown as FailureScripts;
  return {
    async read(key) {
      const [count, ttlMs] = await scripts.tollgateFailuresRead(key);
      return { count, ttlMs };
    },
    async increment(key, durationMs) {
      await scripts.tollgateFailuresIncrement(key, durationMs);
    },
  };
}

function memoryStore(capacity: number, now: () => number): CounterStore {
  const windows = memoryWindows(capacity, now);
  return {
    async read(key) {
      const window = windows.live(key);
      return window ? { count: window.count, ttlMs: window.endsAt - now() } : { count: 0, ttlMs: 0 };
    },
    async increment(key, durationMs) {
      windows.hit(key, durationMs);
    },
  };
}
