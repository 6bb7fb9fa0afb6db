import ratelimit from 'koa-ratelimit';
import type { Context, Middleware, Next } from 'koa';
import type { Redis as IoRedis } from 'ioredis';
import type { RedisConnection as Redis } from '../redis-client.js';
import { memoryWindows } from './memory-windows.js';
import { redisFirst } from './redis.js';
import { clientIp, type TrustProxy } from './client-ip.js';
import { formatLimitSpec, type LimitSpec } from './limit-spec.js';
import {
  DEFAULT_PREFIX,
  isLimitedRequest,
  LIMITED_PATHS,
  RATE_LIMIT_HEADERS as HEADERS,
  respondLimitsUnavailable,
  respondRateLimited,
  setLimitHeaders,
  subjects,
  type RateLimitErrorHandler,
} from './respond.js';
import type { RedisDownPolicy } from './settings.js';

export interface IpRateLimitOptions {
  readonly limit: LimitSpec;
  readonly trustProxy: TrustProxy;
  /** Shared counters across instances; without it each process counts on its own. */
  readonly redis?: Redis | undefined;
  /** Redis key prefix (default `tollgate`). */
  readonly prefix?: string | undefined;
  /** Told when Redis could not be asked. */
  readonly onError: RateLimitErrorHandler;
  /** While Redis is unavailable: count in memory (default), let requests through, or answer 503. */
  readonly whenRedisDown?: RedisDownPolicy | undefined;
  readonly paths?: ReadonlySet<string> | undefined;
  /** Most addresses the memory store tracks at once (default 100 000). */
  readonly memoryCapacity?: number | undefined;
  /** Memory store clock, for tests. */
  readonly now?: (() => number) | undefined;
}

/**
 * Limits `POST /token`, `/token/introspection` and `/token/revocation` per
 * client address (see `clientIp`; IPv6 per /64): with Redis, koa-ratelimit's
 * Redis driver (a sliding window in one Lua script, on the key
 * `<prefix>:{ip:<address>}:requests`); in memory, a fixed window per address
 * on a bounded Map. Over the limit: 429, `Retry-After`, `RateLimit-*`
 * headers and `{ "error": "rate_limited", … }`.
 *
 * The memory side is not koa-ratelimit's memory driver: that one builds a
 * limiter object and spreads its options on every request, then writes a
 * Unix-time reset this middleware had to rewrite; on the default (no Redis)
 * token path it was the largest part of what the limits cost (bench/PROFILE.md).
 * Its semantics are kept: a fixed window of `max` requests per `durationMs`.
 *
 * If Redis fails, `onError` is told and, for the breaker's cooldown, the
 * request is counted by `whenRedisDown`: in this process's memory (each
 * instance then limits on its own), not at all, or refused with 503.
 */
export function createIpRateLimit(options: IpRateLimitOptions): Middleware {
  const { limit, trustProxy, redis, onError } = options;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const paths = options.paths ?? LIMITED_PATHS;
  const description = `too many requests from this address (limit ${formatLimitSpec(limit)}), retry later`;
  const common = {
    max: limit.max,
    duration: limit.durationMs,
    // koa-ratelimit stores under `${namespace}:${id}`: `<prefix>:{ip:…}:requests`.
    namespace: prefix,
    id: (ctx: Context) => `${subjects.ip(clientIp(ctx, trustProxy))}:requests`,
    headers: HEADERS,
  };
  const now = options.now ?? Date.now;
  const memory = memoryWindows(options.memoryCapacity ?? 100_000, now);
  /** Counts the request in its address's window in this process; sets the `RateLimit-*` headers. */
  const standingInMemory = (ctx: Context): Standing => {
    const key = common.id(ctx);
    const window = memory.hit(key, limit.durationMs);
    const resetSeconds = Math.max(0, Math.ceil((window.endsAt - now()) / 1000));
    setLimitHeaders(ctx, { limit: limit.max, remaining: limit.max - window.count, resetSeconds });
    return { admitted: window.count <= limit.max, resetSeconds };
  };
  const finish = (ctx: Context, next: Next, { admitted, resetSeconds }: Standing) => {
    if (admitted) return next();
    respondRateLimited(ctx, resetSeconds, description, 'ip');
    return undefined;
  };

  // Without Redis nothing here awaits: every promise on the token path also
  // pays oidc-provider's AsyncLocalStorage hooks on node 20.
  if (!redis) {
    return (ctx, next) => (isLimitedRequest(ctx, paths) ? finish(ctx, next, standingInMemory(ctx)) : next());
  }

  // Typed for a single Redis; its driver only calls defineCommand and the
  // script, which a Cluster has too (the script touches one key).
  const redisLimiter = ratelimit({ ...common, driver: 'redis', db: redis as IoRedis });
  const viaRedis = redisFirst(redis, onError, options.whenRedisDown);
  return async (ctx, next) => {
    if (!isLimitedRequest(ctx, paths)) return next();
    const answer = await viaRedis(() => admits(redisLimiter, ctx));
    if ('value' in answer) return finish(ctx, next, { admitted: answer.value, resetSeconds: resetAsDelta(ctx) });
    if (answer.fallback === 'open') return next();
    if (answer.fallback === 'closed') {
      respondLimitsUnavailable(ctx);
      return undefined;
    }
    return finish(ctx, next, standingInMemory(ctx));
  };
}

/** Whether a request is within its address's limit, and seconds until the window resets. */
interface Standing {
  readonly admitted: boolean;
  readonly resetSeconds: number;
}

/**
 * Asks a koa-ratelimit limiter only whether this request is within the
 * limit (it sets the `RateLimit-*` headers as it does). koa-ratelimit calls
 * `next` as its last step, so handing it a `next` that only records
 * admission keeps the rest of the request outside it: a failure there is the
 * limiter's (Redis), never the provider's.
 */
async function admits(limiter: Middleware, ctx: Context): Promise<boolean> {
  let admitted = false;
  await limiter(ctx, async () => {
    admitted = true;
  });
  return admitted;
}

/**
 * koa-ratelimit writes the reset time as a Unix timestamp (a fractional one
 * from the memory driver); the draft and `Retry-After` want seconds from now.
 */
function resetAsDelta(ctx: Context): number {
  const resetAt = Number(ctx.response.get(HEADERS.reset));
  const seconds = Number.isFinite(resetAt) ? Math.max(0, Math.ceil(resetAt - Date.now() / 1000)) : 0;
  ctx.set(HEADERS.reset, String(seconds));
  return seconds;
}
