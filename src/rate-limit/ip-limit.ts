import ratelimit from 'koa-ratelimit';
import type { Context, Middleware } from 'koa';
import type { Redis } from 'ioredis';
import { BoundedMap } from './bounded-map.js';
import { breakerFor } from './redis.js';
import { clientIp, type TrustProxy } from './client-ip.js';
import { formatLimitSpec, type LimitSpec } from './limit-spec.js';
import {
  DEFAULT_PREFIX,
  isLimitedRequest,
  LIMITED_PATHS,
  RATE_LIMIT_HEADERS as HEADERS,
  respondRateLimited,
  subjects,
  type RateLimitErrorHandler,
} from './respond.js';

export interface IpRateLimitOptions {
  readonly limit: LimitSpec;
  readonly trustProxy: TrustProxy;
  /** Shared counters across instances; without it each process counts on its own. */
  readonly redis?: Redis | undefined;
  /** Redis key prefix (default `tollgate`). */
  readonly prefix?: string | undefined;
  /** Told when Redis could not be asked; the request then goes through. */
  readonly onError: RateLimitErrorHandler;
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
 * If Redis fails the request goes through and `onError` is told.
 */
export function createIpRateLimit(options: IpRateLimitOptions): Middleware {
  const { limit, trustProxy, redis, onError } = options;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const paths = options.paths ?? LIMITED_PATHS;
  const description = `too many requests from this address (limit ${formatLimitSpec(limit)}), retry later`;
  const limiter = ratelimit({
    ...(redis ? { driver: 'redis', db: redis } : { driver: 'memory', db: new BoundedMap(options.memoryCapacity ?? 100_000) }),
    max: limit.max,
    duration: limit.durationMs,
    // koa-ratelimit stores under `${namespace}:${id}`: `<prefix>:{ip:…}:requests`.
    namespace: prefix,
    id: (ctx) => `${subjects.ip(clientIp(ctx, trustProxy))}:requests`,
    headers: HEADERS,
  });

  const breaker = redis ? breakerFor(redis) : undefined;
  return async (ctx, next) => {
    if (!isLimitedRequest(ctx, paths) || breaker?.isOpen()) return next();
    let admitted = false;
    try {
      await limiter(ctx, async () => {
        admitted = true;
        resetAsDelta(ctx);
        await next();
      });
    } catch (error) {
      if (admitted) throw error;
      // The limiter itself failed (Redis down or slow): fail open.
      breaker?.trip();
      onError(error);
      return next();
    }
    if (!admitted) respondRateLimited(ctx, resetAsDelta(ctx), description, 'ip');
    return undefined;
  };
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
