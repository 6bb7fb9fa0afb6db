import type { Context } from 'koa';
import { errorBody, TollgateError } from '../errors.js';
import { ipBucket } from '../http/client-ip.js';

/** Called with what went wrong when a limit could not be consulted (the request went through). */
export type RateLimitErrorHandler = (error: unknown) => void;

/** Default Redis key prefix; tests pass their own so runs never share counters. */
export const DEFAULT_PREFIX = 'tollgate';

/**
 * Redis keys are `<prefix>:<subject>:<counter>`, where the subject is a hash
 * tag (`{ip:…}`, `{client:…}`) so every key about one subject lands in one
 * Redis Cluster slot; each script touches one key. Client ids are
 * percent-encoded so a `}` in one cannot end the tag early.
 */
export const subjects = {
  ip: (ip: string) => `{ip:${ipBucket(ip)}}`,
  client: (clientId: string) => `{client:${encodeURIComponent(clientId)}}`,
  tenant: (tenantId: string) => `{tenant:${encodeURIComponent(tenantId)}}`,
} as const;

/** IETF draft-ietf-httpapi-ratelimit-headers names; `RateLimit-Reset` is delta-seconds there. */
export const RATE_LIMIT_HEADERS = { total: 'RateLimit-Limit', remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset' } as const;

/** Where a limit stands for the request being answered. */
export interface LimitStanding {
  readonly limit: number;
  readonly remaining: number;
  readonly resetSeconds: number;
}

/**
 * Writes the `RateLimit-*` headers for `standing` unless a limit already
 * reported on this response (the per-address one) leaves fewer requests:
 * a client is best served by hearing about the limit it will meet first.
 */
export function reportLimitStanding(ctx: Pick<Context, 'set' | 'response'>, standing: LimitStanding): void {
  const reported = ctx.response.get(RATE_LIMIT_HEADERS.remaining);
  if (reported !== '' && Number(reported) <= standing.remaining) return;
  setLimitHeaders(ctx, standing);
}

/** Writes the `RateLimit-*` headers for `standing`, replacing any already set. */
export function setLimitHeaders(ctx: Pick<Context, 'set'>, standing: LimitStanding): void {
  ctx.set(RATE_LIMIT_HEADERS.total, String(standing.limit));
  ctx.set(RATE_LIMIT_HEADERS.remaining, String(Math.max(0, standing.remaining)));
  ctx.set(RATE_LIMIT_HEADERS.reset, String(Math.max(0, Math.ceil(standing.resetSeconds))));
}

/** Which limit answered 429 (a metrics label; `ctx.state.rateLimitPolicy`). */
export type RateLimitPolicy = 'ip' | 'auth_failures' | 'client_quota' | 'tenant_quota';

/**
 * Answers 429 in the shape of every other Tollgate error, with `Retry-After`
 * (RFC 9110 §10.2.3) in whole seconds, at least 1.
 */
export function respondRateLimited(ctx: Context, retryAfterSeconds: number, description: string, policy: RateLimitPolicy): void {
  const { status, body } = errorBody(new TollgateError(429, 'rate_limited', description));
  ctx.status = status;
  ctx.body = body;
  markRateLimited(ctx, retryAfterSeconds, policy);
}

/**
 * The headers and policy label of a 429, for a limit whose body is written
 * by someone else (the token quotas throw, and oidc-provider's error
 * handler writes the same `{ error, error_description }` body).
 */
export function markRateLimited(ctx: Pick<Context, 'set' | 'state'>, retryAfterSeconds: number, policy: RateLimitPolicy): void {
  ctx.state.rateLimitPolicy = policy;
  retryLater(ctx, retryAfterSeconds);
}

/** `Retry-After` (RFC 9110 §10.2.3) in whole seconds, at least 1; the refusal is never cached. */
function retryLater(ctx: Pick<Context, 'set'>, seconds: number): void {
  ctx.set('Retry-After', String(Math.max(1, Math.ceil(seconds))));
  ctx.set('Cache-Control', 'no-store');
}

/**
 * The answer while Redis is unavailable and `TOLLGATE_RATE_LIMIT_REDIS_DOWN=closed`:
 * 503 with a short `Retry-After`, for deployments that would rather refuse
 * than issue tokens unlimited.
 */
export function respondLimitsUnavailable(ctx: Context): void {
  const { status, body } = errorBody(new TollgateError(503, 'temporarily_unavailable', 'rate limits are unavailable, retry later'));
  ctx.status = status;
  ctx.body = body;
  retryLater(ctx, 1);
}
