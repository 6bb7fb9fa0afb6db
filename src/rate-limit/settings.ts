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

/** The rate-limit variables as the configuration schema hands them over: validated, defaults applied. */
export interface RateLimitVariables {
  TOLLGATE_RATE_LIMITS: string;
  TOLLGATE_RATE_LIMIT_IP: string;
  TOLLGATE_RATE_LIMIT_AUTH_FAILURES: string;
  TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: string;
  TOLLGATE_RATE_LIMIT_REDIS_DOWN: string;
  TOLLGATE_TRUST_PROXY?: string;
}

export type RateLimitVariable = keyof RateLimitVariables;

export const DEFAULT_IP_LIMIT = '300/min';
export const DEFAULT_AUTH_FAILURE_LIMIT = '10/min';
/** Per address: room for several clients behind one NAT, still a wall for credential stuffing. */
export const DEFAULT_AUTH_FAILURE_IP_LIMIT = '50/min';

function parseSwitch(value: string, variable: string): boolean {
  const text = value.trim().toLowerCase();
  if (text === 'on' || text === 'true') return true;
  if (text === 'off' || text === 'false') return false;
  throw new Error(`${variable} must be on or off; got "${value}"`);
}

function parseRedisDownPolicy(value: string, variable: string): RedisDownPolicy {
  const text = value.trim().toLowerCase();
  if (text === 'memory' || text === 'open' || text === 'closed') return text;
  throw new Error(`${variable} must be memory, open or closed; got "${value}"`);
}

/**
 * How each kind of setting is read; each throws an Error whose message names
 * the variable. The configuration schema validates with them (its `parsedBy`
 * keyword), so a bad value fails `loadConfig` with every other bad setting.
 */
export const SETTING_PARSERS = {
  switch: parseSwitch,
  limit: parseLimitSpec,
  redisDown: parseRedisDownPolicy,
  trustProxy: (value: string) => parseTrustProxy(value),
} as const satisfies Record<string, (value: string, variable: string) => unknown>;

export type SettingParser = keyof typeof SETTING_PARSERS;

/** The rate-limit variables' part of the configuration schema (config.ts). */
export const RATE_LIMIT_SCHEMA = {
  TOLLGATE_RATE_LIMITS: { type: 'string', parsedBy: 'switch', default: 'on' },
  TOLLGATE_RATE_LIMIT_IP: { type: 'string', parsedBy: 'limit', default: DEFAULT_IP_LIMIT },
  TOLLGATE_RATE_LIMIT_AUTH_FAILURES: { type: 'string', parsedBy: 'limit', default: DEFAULT_AUTH_FAILURE_LIMIT },
  TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: { type: 'string', parsedBy: 'limit', default: DEFAULT_AUTH_FAILURE_IP_LIMIT },
  TOLLGATE_RATE_LIMIT_REDIS_DOWN: { type: 'string', parsedBy: 'redisDown', default: 'memory' },
  TOLLGATE_TRUST_PROXY: { type: 'string', nullable: true, parsedBy: 'trustProxy' },
} as const satisfies Record<RateLimitVariable, { type: 'string'; parsedBy: SettingParser; default?: string; nullable?: true }>;

/**
 * The rate-limit settings from variables the configuration schema has
 * validated (so nothing here fails).
 */
export function rateLimitSettings(variables: RateLimitVariables): RateLimitSettings {
  return Object.freeze({
    enabled: parseSwitch(variables.TOLLGATE_RATE_LIMITS, 'TOLLGATE_RATE_LIMITS'),
    whenRedisDown: parseRedisDownPolicy(variables.TOLLGATE_RATE_LIMIT_REDIS_DOWN, 'TOLLGATE_RATE_LIMIT_REDIS_DOWN'),
    trustProxy: parseTrustProxy(variables.TOLLGATE_TRUST_PROXY),
    perIp: parseLimitSpec(variables.TOLLGATE_RATE_LIMIT_IP, 'TOLLGATE_RATE_LIMIT_IP'),
    authFailures: parseLimitSpec(variables.TOLLGATE_RATE_LIMIT_AUTH_FAILURES, 'TOLLGATE_RATE_LIMIT_AUTH_FAILURES'),
    authFailuresPerIp: parseLimitSpec(variables.TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP, 'TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP'),
  });
}
