import type { Context, Middleware } from 'koa';
import { clientIdOfAuthorization } from './client-id.js';
import { clientIp, type TrustProxy } from './client-ip.js';
import type { AuthAttempt, FailureCounter } from './failure-counter.js';
import { formatLimitSpec, type LimitSpec } from './limit-spec.js';
import {
  DEFAULT_PREFIX,
  isLimitedRequest,
  LIMITED_PATHS,
  respondLimitsUnavailable,
  respondRateLimited,
  setLimitHeaders,
  subjects,
} from './respond.js';
import type { WindowCounters, WindowOp, WindowState } from './window-counters.js';

/** What the gate counts for a request, remembered per connection. */
interface SocketCounters {
  readonly authorization: string;
  readonly attempt: AuthAttempt;
  readonly ops: readonly WindowOp[];
}

export interface TokenEndpointGateOptions {
  /** Requests per client address (`TOLLGATE_RATE_LIMIT_IP`). */
  readonly requestLimit: LimitSpec;
  /** Failed client authentications per client id and per address. */
  readonly failures: FailureCounter;
  /** Where both are counted; the same instance the failure counter uses. */
  readonly counters: WindowCounters;
  readonly trustProxy: TrustProxy;
  /** Redis key prefix (default `tollgate`). */
  readonly prefix?: string | undefined;
  readonly paths?: ReadonlySet<string> | undefined;
}

/**
 * What stands in front of `POST /token`, `/token/introspection` and
 * `/token/revocation`:
 *
 * 1. the per-address request limit, a fixed window per client address (see
 *    `clientIp`; IPv6 per /64) on the key `<prefix>:{ip:<address>}:requests`,
 *    reported in `RateLimit-*` headers on every answer;
 * 2. the failed-authentication limits, per client id (from the Basic
 *    header, see `clientIdOf`) and per address: a client id or address with
 *    too many recent `invalid_client` answers gets 429 before the provider
 *    runs, so a flood of wrong secrets costs no argon2 verification. Every
 *    `invalid_client` the provider answers is counted afterwards.
 *
 * Both read their counters in one batch: in memory without awaiting
 * anything, in Redis in one round trip (one script on a single Redis).
 * Over either limit: 429, `Retry-After` and `{ "error": "rate_limited", … }`.
 * While Redis cannot be asked, the batch is counted as `whenRedisDown`
 * says: in this process's memory, not at all, or refused with 503.
 *
 * Blocking per client id means anyone who knows an id (ids are not secret)
 * can keep that client out for a window by failing on purpose; that is the
 * price of bounding guesses at one secret from many addresses.
 */
export function createTokenEndpointGate(options: TokenEndpointGateOptions): Middleware {
  const { requestLimit, failures, counters, trustProxy } = options;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const paths = options.paths ?? LIMITED_PATHS;
  const tooManyRequests = `too many requests from this address (limit ${formatLimitSpec(requestLimit)}), retry later`;

  /** Answers 429 and returns false when a limit is reached; otherwise sets the headers and returns true. */
  const admits = (ctx: Context, [requests, ...failureStates]: readonly WindowState[]): boolean => {
    const resetSeconds = Math.max(0, Math.ceil(requests!.ttlMs / 1000));
    setLimitHeaders(ctx, { limit: requestLimit.max, remaining: requestLimit.max - requests!.count, resetSeconds });
    if (requests!.count > requestLimit.max) {
      respondRateLimited(ctx, resetSeconds, tooManyRequests, 'ip');
      return false;
    }
    const verdict = failures.verdictOf(failureStates);
    if (verdict.limited) {
      respondRateLimited(ctx, verdict.retryAfterSeconds, 'too many failed client authentications, retry later', 'auth_failures');
      return false;
    }
    return true;
  };

  /** The attempt and the counters a request touches, from its address and its Basic header. */
  const countersOf = (ip: string, authorization: string): SocketCounters => {
    const attempt = { clientId: clientIdOfAuthorization(authorization), ip };
    const requests: WindowOp = { key: `${prefix}:${subjects.ip(ip)}:requests`, durationMs: requestLimit.durationMs, hit: true };
    return { authorization, attempt, ops: [requests, ...failures.readOps(attempt)] };
  };
  // A keep-alive connection usually sends one client's requests from one
  // address: the Basic header decoded and the keys built for its last
  // request serve the next while both are unchanged (one entry per socket).
  const lastCounters = new WeakMap<object, SocketCounters>();
  const countersFor = (ctx: Context): SocketCounters => {
    const ip = clientIp(ctx, trustProxy);
    const authorization = ctx.get('authorization');
    const last = lastCounters.get(ctx.req.socket);
    if (last && last.attempt.ip === ip && last.authorization === authorization) return last;
    const current = countersOf(ip, authorization);
    lastCounters.set(ctx.req.socket, current);
    return current;
  };

  return async (ctx, next) => {
    if (!isLimitedRequest(ctx, paths)) return next();
    const { attempt, ops } = countersFor(ctx);
    // Without Redis nothing here is awaited before the provider runs.
    if (counters.shared) {
      const answer = await counters.apply(ops);
      if ('fallback' in answer) {
        if (answer.fallback === 'closed') respondLimitsUnavailable(ctx);
        else await next();
        return;
      }
      if (!admits(ctx, answer.value)) return;
    } else if (!admits(ctx, counters.inMemory(ops))) {
      return;
    }
    await next();
    if (ctx.status === 401 && (ctx.body as { error?: unknown } | null | undefined)?.error === 'invalid_client') {
      await failures.recordFailure(attempt);
    }
  };
}
