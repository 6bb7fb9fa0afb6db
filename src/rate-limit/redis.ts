import { connectFailFast, type RedisConnection as Redis } from '../redis/client.js';
import type { RateLimitErrorHandler } from './respond.js';
import type { RedisDownPolicy } from './settings.js';

/** How long a limiter waits for Redis before falling back (TOLLGATE_RATE_LIMIT_REDIS_DOWN). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 250;

/**
 * A Redis connection for rate-limit counters that fails fast: while Redis
 * is down or slow, the limits fall back (to this process's memory by
 * default) rather than turning requests into 500s or hanging them, because
 * availability of token issuance matters more than exact shared counts
 * (see `connectFailFast`); it keeps reconnecting, so limits come back by
 * themselves.
 */
export function createRateLimitRedis(
  url: string,
  onError: RateLimitErrorHandler,
  options: { commandTimeoutMs?: number } = {},
): Redis {
  const redis = connectFailFast(url, {
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: 1_000,
    // Commands issued in the same tick (the per-address limit and the two
    // failure counters of a request, and those of concurrent requests)
    // share one write: fewer syscalls and round trips per token.
    autoPipelining: true,
  });
  // Without a listener ioredis prints every reconnect failure to stderr.
  redis.on('error', onError);
  return redis;
}

/** How long the limits skip Redis after a failed command. */
const BREAKER_COOLDOWN_MS = 1_000;

/**
 * After a command fails, skip Redis for a cooldown. A Redis that accepts
 * connections but does not answer would otherwise cost every request one
 * command timeout per counter it consults; with the breaker only the first
 * request of each cooldown pays it. (A Redis that refuses connections costs
 * nothing either way: without an offline queue commands fail at once.)
 */
export interface RedisBreaker {
  /** True while Redis should not be asked. */
  isOpen(): boolean;
  /** Records a failure: opens the breaker for the cooldown. */
  trip(): void;
}

const breakers = new WeakMap<Redis, RedisBreaker>();

/** The breaker of one client, shared by every limit that uses that client. */
export function breakerFor(redis: Redis): RedisBreaker {
  let breaker = breakers.get(redis);
  if (!breaker) {
    let openUntil = -Infinity;
    breaker = {
      isOpen: () => Date.now() < openUntil,
      trip: () => {
        openUntil = Date.now() + BREAKER_COOLDOWN_MS;
      },
    };
    breakers.set(redis, breaker);
  }
  return breaker;
}

/**
 * Reports the first error, then at most one per `intervalMs`: while Redis is
 * down every request falls back, and one log line per request would bury
 * everything else.
 */
export function throttleErrors(onError: RateLimitErrorHandler, intervalMs = 30_000, now: () => number = Date.now): RateLimitErrorHandler {
  let lastReported = -Infinity;
  return (error) => {
    const at = now();
    if (at - lastReported < intervalMs) return;
    lastReported = at;
    onError(error);
  };
}

/** What a counter asked Redis, or, when it could not, what to do instead: count in `memory`, let the request through (`open`), or refuse it (`closed`). */
export type RedisAnswer<T> = { readonly value: T } | { readonly fallback: RedisDownPolicy };

/**
 * The one place the limits decide between Redis and their fallback: runs
 * `viaRedis` unless there is no Redis (then `memory`: counting in process
 * memory is the design without one) or its breaker is open; a failure trips
 * the breaker and goes to `onError`. Either way a skipped Redis answers
 * with `whenRedisDown`. `viaRedis` must only talk to Redis: whatever it
 * throws is taken for a Redis failure.
 */
export function redisFirst(
  redis: Redis | undefined,
  onError: RateLimitErrorHandler,
  whenRedisDown: RedisDownPolicy = 'memory',
): <T>(viaRedis: () => Promise<T>) => Promise<RedisAnswer<T>> {
  if (!redis) return async () => ({ fallback: 'memory' });
  const breaker = breakerFor(redis);
  return async (viaRedis) => {
    if (!breaker.isOpen()) {
      try {
        return { value: await viaRedis() };
      } catch (error) {
        breaker.trip();
        onError(error);
      }
    }
    return { fallback: whenRedisDown };
  };
}
