import ratelimit from 'koa-ratelimit';
import type { Context, Middleware } from 'koa';
import type { Redis as IoRedis } from 'ioredis';
import type { RedisConnection as Redis } from '../redis-client.js';
import { BoundedMap } from './bounded-map.js';
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
  /** Most addresses the memory driver tracks at once (default 100 000). */
  readonly memoryCapacity?: number | undefined;
}

/**
 * Limits `POST /token`, `/token/introspection` and `/token/revocation` per
 * client address (see `clientIp`; IPv6 per /64), over koa-ratelimit: its
 * Redis driver (a sliding window in one Lua script, on the key
 * `<prefix>:{ip:<address>}:requests`) when a client is given, otherwise its
 * memory driver on a bounded Map. Over the limit: 429, `Retry-After`,
 * `RateLimit-*` headers and `{ "error": "rate_limited", … }`.
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
  const memoryLimiter = ratelimit({ ...common, driver: 'memory', db: new BoundedMap(options.memoryCapacity ?? 100_000) });
  // Typed for a single Redis; its driver only calls defineCommand and the
  // script, which a Cluster has too (the script touches one key).
  const redisLimiter = redis ? ratelimit({ ...common, driver: 'redis', db: redis as IoRedis }) : undefined;
  const viaRedis = redisFirst(redis, onError, options.whenRedisDown);

  return async (ctx, next) => {
    if (!isLimitedRequest(ctx, paths)) return next();
    const answer = await viaRedis(() => admits(redisLimiter!, ctx));
    if ('fallback' in answer && answer.fallback === 'open') return next();
    if ('fallback' in answer && answer.fallback === 'closed') {
      respondLimitsUnavailable(ctx);
      return undefined;
    }
    const admitted = 'value' in answer ? answer.value : await admits(memoryLimiter, ctx);
    const resetSeconds = resetAsDelta(ctx);
    if (!admitted) {
      respondRateLimited(ctx, resetSeconds, description, 'ip');
      return undefined;
    }
    return next();
  };
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
