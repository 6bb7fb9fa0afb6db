import { parseTrustProxy, type TrustProxy } from '../http/client-ip.js';
import { parseLimitSpec, type LimitSpec } from './limit-spec.js';

/** The rate-limit part of the configuration. */
export interface RateLimitSettings {
  /** False with `TOLLGATE_RATE_LIMITS=off`, for deployments whose gateway already limits. */
  readonly enabled: boolean;
  readonly trustProxy: TrustProxy;
  /** Requests per client address to the token endpoints (`TOLLGATE_RATE_LIMIT_IP`). */
  readonly perIp: LimitSpec;
  /** Failed client authentications per client id (`TOLLGATE_RATE_LIMIT_AUTH_FAILURES`). */
  readonly authFailures: LimitSpec;
  /** Failed client authentications per address, any client id (`TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP`). */
  readonly authFailuresPerIp: LimitSpec;
  /** While Redis is unavailable (`TOLLGATE_RATE_LIMIT_REDIS_DOWN`): count in this process, let everything through, or refuse with 503. */
  readonly whenRedisDown: RedisDownPolicy;
}

export type RedisDownPolicy = 'memory' | 'open' | 'closed';

/** The environment variables `rateLimitSettings` reads. */
export const RATE_LIMIT_VARIABLES = [
  'TOLLGATE_RATE_LIMITS',
  'TOLLGATE_RATE_LIMIT_IP',
  'TOLLGATE_RATE_LIMIT_AUTH_FAILURES',
  'TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP',
  'TOLLGATE_RATE_LIMIT_REDIS_DOWN',
  'TOLLGATE_TRUST_PROXY',
] as const;

export type RateLimitVariable = (typeof RATE_LIMIT_VARIABLES)[number];

export const DEFAULT_IP_LIMIT = '300/min';
export const DEFAULT_AUTH_FAILURE_LIMIT = '10/min';
/** Per address: room for several clients behind one NAT, still a wall for credential stuffing. */
export const DEFAULT_AUTH_FAILURE_IP_LIMIT = '50/min';

/**
 * Validated rate-limit settings from the environment; empty strings count as
 * unset. Throws an Error naming the variable on bad input, for
 * `loadConfig` to rethrow as a ConfigError. Takes `process.env` as it is.
 *
 * @example rateLimitSettings({ TOLLGATE_RATE_LIMIT_IP: '600/min', TOLLGATE_TRUST_PROXY: '1' })
 */
export function rateLimitSettings(env: Readonly<Partial<Record<RateLimitVariable, string | undefined>>>): RateLimitSettings {
  const read = (name: RateLimitVariable) => (env[name] === '' ? undefined : env[name]);
  const switchValue = (read('TOLLGATE_RATE_LIMITS') ?? 'on').trim().toLowerCase();
  if (!['on', 'off', 'true', 'false'].includes(switchValue)) {
    throw new Error(`TOLLGATE_RATE_LIMITS must be on or off; got "${read('TOLLGATE_RATE_LIMITS')}"`);
  }
  const whenRedisDown = (read('TOLLGATE_RATE_LIMIT_REDIS_DOWN') ?? 'memory').trim().toLowerCase();
  if (!isRedisDownPolicy(whenRedisDown)) {
    throw new Error(`TOLLGATE_RATE_LIMIT_REDIS_DOWN must be memory, open or closed; got "${read('TOLLGATE_RATE_LIMIT_REDIS_DOWN')}"`);
  }
  return Object.freeze({
    whenRedisDown,
    enabled: switchValue === 'on' || switchValue === 'true',
    trustProxy: parseTrustProxy(read('TOLLGATE_TRUST_PROXY')),
    perIp: parseLimitSpec(read('TOLLGATE_RATE_LIMIT_IP') ?? DEFAULT_IP_LIMIT, 'TOLLGATE_RATE_LIMIT_IP'),
    authFailures: parseLimitSpec(read('TOLLGATE_RATE_LIMIT_AUTH_FAILURES') ?? DEFAULT_AUTH_FAILURE_LIMIT, 'TOLLGATE_RATE_LIMIT_AUTH_FAILURES'),
    authFailuresPerIp: parseLimitSpec(
      read('TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP') ?? DEFAULT_AUTH_FAILURE_IP_LIMIT,
      'TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP',
    ),
  });
}

function isRedisDownPolicy(value: string): value is RedisDownPolicy {
  return value === 'memory' || value === 'open' || value === 'closed';
}
