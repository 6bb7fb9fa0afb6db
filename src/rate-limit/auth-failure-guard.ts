import type { Middleware } from 'koa';
import { clientIdOf } from './client-id.js';
import { clientIp, type TrustProxy } from './client-ip.js';
import type { FailureCounter } from './failure-counter.js';
import { isLimitedRequest, LIMITED_PATHS, respondLimitsUnavailable, respondRateLimited } from './respond.js';

export interface AuthFailureGuardOptions {
  readonly counter: FailureCounter;
  readonly trustProxy: TrustProxy;
  readonly paths?: ReadonlySet<string> | undefined;
}

/**
 * Puts the failure counter around the provider: a client id or address with
 * too many recent `invalid_client` answers gets 429 before the provider
 * runs, so a flood of wrong secrets costs no argon2 verification; every
 * `invalid_client` the provider answers is counted afterwards.
 *
 * Blocking per client id means anyone who knows an id (ids are not secret)
 * can keep that client out for a window by failing on purpose; that is the
 * price of bounding guesses at one secret from many addresses.
 */
export function createAuthFailureGuard(options: AuthFailureGuardOptions): Middleware {
  const { counter, trustProxy } = options;
  const paths = options.paths ?? LIMITED_PATHS;
  return async (ctx, next) => {
    if (!isLimitedRequest(ctx, paths)) return next();
    const attempt = { clientId: clientIdOf(ctx), ip: clientIp(ctx, trustProxy) };
    const verdict = await counter.check(attempt);
    if ('unavailable' in verdict && verdict.unavailable) {
      respondLimitsUnavailable(ctx);
      return undefined;
    }
    if (verdict.limited) {
      respondRateLimited(ctx, verdict.retryAfterSeconds, 'too many failed client authentications, retry later', 'auth_failures');
      return undefined;
    }
    await next();
    if (ctx.status === 401 && (ctx.body as { error?: unknown } | null | undefined)?.error === 'invalid_client') {
      await counter.recordFailure(attempt);
    }
    return undefined;
  };
}
