import type { Context, Middleware } from 'koa';
import type { RedisConnection as Redis } from '../redis/client.js';
import { createFailureCounter, type FailureCounter } from './failure-counter.js';
import { createQuotaCounter } from './quota-counter.js';
import { createRateLimitRedis, throttleErrors } from './redis.js';
import { DEFAULT_PREFIX, type RateLimitErrorHandler } from './respond.js';
import type { RateLimitSettings } from './settings.js';
import { createTokenEndpointGate, type GateKind } from './token-endpoint-gate.js';
import { createTokenQuotas, type TokenQuotas } from './token-quotas.js';
import { createWindowCounters } from './window-counters.js';

export { clientIdOf } from '../http/client-id.js';
export { clientIp, ipBucket, normaliseIp, parseTrustProxy, type TrustProxy } from '../http/client-ip.js';
export { createFailureCounter, type AuthAttempt, type FailureCounter, type FailureVerdict } from './failure-counter.js';
export { formatLimitSpec, parseLimitSpec, type LimitSpec } from './limit-spec.js';
export { createQuotaCounter, type QuotaCounter, type QuotaVerdict, type QuotaWindow } from './quota-counter.js';
export { createRateLimitRedis, throttleErrors } from './redis.js';
export { respondRateLimited, type RateLimitErrorHandler, type RateLimitPolicy } from './respond.js';
export { rateLimitSettings, type RateLimitSettings, type RateLimitVariable, type RateLimitVariables, type RedisDownPolicy } from './settings.js';
export type { GateKind } from './token-endpoint-gate.js';
export { createTokenQuotas, type QuotaDecision, type QuotaSubject, type TokenQuotas } from './token-quotas.js';

export interface RateLimits {
  /**
   * The gate (per-address limit and failed-authentication limits) for the
   * endpoints `gateKindOf` names (ProviderHost.gateKindOf); pass-through when disabled.
   */
  gate(gateKindOf: (ctx: Context) => GateKind | undefined): Middleware;
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
  if (!settings.enabled) return { gate: () => (_ctx, next) => next(), tokenQuotas: undefined, loginFailures: undefined, close: async () => undefined };
  const onError = throttleErrors(options.onError);
  const redis: Redis | undefined = options.redisUrl ? createRateLimitRedis(options.redisUrl, onError) : undefined;
  // One set of counters for the gate and both failure counters: a token request's counters are one batch.
  const counters = createWindowCounters({ redis, onError, whenRedisDown: settings.whenRedisDown });
  const failures = createFailureCounter({ counters, limit: settings.authFailures, ipLimit: settings.authFailuresPerIp, prefix });
  const tokenQuotas = createTokenQuotas({ counter: createQuotaCounter({ redis, onError, whenRedisDown: settings.whenRedisDown }), prefix, onError });
  // Same limits as failed client authentications, in keys of their own.
  const loginFailures = createFailureCounter({
    counters,
    limit: settings.authFailures,
    ipLimit: settings.authFailuresPerIp,
    prefix: `${prefix ?? DEFAULT_PREFIX}:login`,
  });
  return {
    gate: (gateKindOf) => createTokenEndpointGate({ requestLimit: settings.perIp, failures, counters, trustProxy: settings.trustProxy, gateKindOf, prefix }),
    tokenQuotas,
    loginFailures,
    async close() {
      redis?.disconnect();
    },
  };
}
