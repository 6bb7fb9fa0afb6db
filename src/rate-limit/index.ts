import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type { RedisConnection as Redis } from '../redis-client.js';
import { createAuthFailureGuard } from './auth-failure-guard.js';
import { createFailureCounter, type FailureCounter } from './failure-counter.js';
import { createIpRateLimit } from './ip-limit.js';
import { createQuotaCounter } from './quota-counter.js';
import { createRateLimitRedis, throttleErrors } from './redis.js';
import { DEFAULT_PREFIX, type RateLimitErrorHandler } from './respond.js';
import type { RateLimitSettings } from './settings.js';
import { createTokenQuotas, type TokenQuotas } from './token-quotas.js';

export { clientIdOf } from './client-id.js';
export { clientIp, ipBucket, normaliseIp, parseTrustProxy, type TrustProxy } from './client-ip.js';
export { createAuthFailureGuard } from './auth-failure-guard.js';
export { createFailureCounter, type AuthAttempt, type FailureCounter, type FailureVerdict } from './failure-counter.js';
export { createIpRateLimit } from './ip-limit.js';
export { formatLimitSpec, parseLimitSpec, type LimitSpec } from './limit-spec.js';
export { createQuotaCounter, type QuotaCounter, type QuotaVerdict, type QuotaWindow } from './quota-counter.js';
export { createRateLimitRedis, throttleErrors } from './redis.js';
export { LIMITED_PATHS, respondRateLimited, type RateLimitErrorHandler, type RateLimitPolicy } from './respond.js';
export { rateLimitSettings, RATE_LIMIT_VARIABLES, type RateLimitSettings, type RateLimitVariable, type RedisDownPolicy } from './settings.js';
export { createTokenQuotas, type QuotaDecision, type QuotaSubject, type TokenQuotas } from './token-quotas.js';

export interface RateLimits {
  /** Per-address limit, then the failed-authentication guard; pass-through when disabled. */
  readonly middleware: Middleware;
  /** Token quotas for the provider to charge at issuance; undefined when disabled. */
  readonly tokenQuotas: TokenQuotas | undefined;
  /** Failed sign-ins per account and per address (the login page); undefined when disabled. */
  readonly loginFailures: FailureCounter | undefined;
  /** Closes the Redis connection this created, if any. */
  close(): Promise<void>;
}

export interface RateLimitsOptions {
  readonly settings: RateLimitSettings;
  /** Counters live in Redis when set (shared by every instance), in process memory otherwise. */
  readonly redisUrl?: string | undefined;
  /** Told (at most once per 30 s) when Redis fails and limits are skipped. */
  readonly onError: RateLimitErrorHandler;
  /** Redis key prefix (default `tollgate`). */
  readonly prefix?: string | undefined;
}

/**
 * Everything the host mounts in front of the provider (one middleware), the
 * token quotas the provider charges at issuance, and their cleanup. With a
 * Redis URL the counters are shared across instances; while Redis is
 * unavailable they follow `settings.whenRedisDown` (see `createRateLimitRedis`).
 */
export function createRateLimits(options: RateLimitsOptions): RateLimits {
  const { settings, prefix } = options;
  if (!settings.enabled) return { middleware: (_ctx, next) => next(), tokenQuotas: undefined, loginFailures: undefined, close: async () => undefined };
  const onError = throttleErrors(options.onError);
  const redis: Redis | undefined = options.redisUrl ? createRateLimitRedis(options.redisUrl, onError) : undefined;
  const ipLimit = createIpRateLimit({ limit: settings.perIp, trustProxy: settings.trustProxy, redis, prefix, onError, whenRedisDown: settings.whenRedisDown });
  const counter = createFailureCounter({ limit: settings.authFailures, ipLimit: settings.authFailuresPerIp, whenRedisDown: settings.whenRedisDown, redis, prefix, onError });
  const guard = createAuthFailureGuard({ counter, trustProxy: settings.trustProxy });
  const tokenQuotas = createTokenQuotas({ counter: createQuotaCounter({ redis, onError, whenRedisDown: settings.whenRedisDown }), prefix, onError });
  // Same limits as failed client authentications, in keys of their own.
  const loginFailures = createFailureCounter({
    limit: settings.authFailures,
    ipLimit: settings.authFailuresPerIp,
    whenRedisDown: settings.whenRedisDown,
    redis,
    prefix: `${prefix ?? DEFAULT_PREFIX}:login`,
    onError,
  });
  return {
    middleware: compose([ipLimit, guard]) as Middleware,
    tokenQuotas,
    loginFailures,
    async close() {
      redis?.disconnect();
    },
  };
}
