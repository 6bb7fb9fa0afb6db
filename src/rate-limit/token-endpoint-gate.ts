import type { Context, Middleware } from 'koa';
import { clientIdOfAuthorization } from '../http/client-id.js';
import { clientIp, type TrustProxy } from '../http/client-ip.js';
import type { AuthAttempt, FailureCounter } from './failure-counter.js';
import { formatLimitSpec, type LimitSpec } from './limit-spec.js';
import { ProvenCredentials, secretVerifiedIn } from './proven-credentials.js';
import { DEFAULT_PREFIX, respondLimitsUnavailable, respondRateLimited, setLimitHeaders, subjects } from './respond.js';
import type { WindowCounters, WindowOp, WindowState } from './window-counters.js';

/**
 * How the gate treats a request, decided by which endpoint it reaches
 * (provider/endpoints.ts asks oidc-provider's own router):
 * - `client_authentication`: an endpoint that authenticates a client: the
 *   per-address request limit and the failed-authentication limits;
 * - `address_only`: an endpoint anyone may call that stores a row: the
 *   per-address request limit.
 */
export type GateKind = 'client_authentication' | 'address_only';

/** What the gate counts for a request, remembered per connection. */
interface SocketCounters {
  readonly authorization: string;
  readonly attempt: AuthAttempt;
  /** SHA-256 of a Basic header that names a client (see ProvenCredentials); undefined without one. */
  readonly credential: string | undefined;
  /** The request counter alone (`address_only`). */
  readonly requestOnly: readonly WindowOp[];
  /** The request counter and the failure counts read (a proven credential). */
  readonly read: readonly WindowOp[];
  /** The request counter and the attempt reserved on the failure counts. */
  readonly reserve: readonly WindowOp[];
  /** A reservation given back. */
  readonly giveBack: readonly WindowOp[];
}

export interface TokenEndpointGateOptions {
  /** Requests per client address (`TOLLGATE_RATE_LIMIT_IP`). */
  readonly requestLimit: LimitSpec;
  /** Failed client authentications per client id and per address. */
  readonly failures: FailureCounter;
  /** Where both are counted; the same instance the failure counter uses. */
  readonly counters: WindowCounters;
  readonly trustProxy: TrustProxy;
  /** How a request is gated, or undefined for one the gate lets through (see `GateKind`). */
  readonly gateKindOf: (ctx: Context) => GateKind | undefined;
  /** Redis key prefix (default `tollgate`). */
  readonly prefix?: string | undefined;
}

/**
 * What stands in front of every endpoint that authenticates a client
 * (`client_authentication`) and of the authorization endpoint (`address_only`):
 *
 * 1. the per-address request limit, a fixed window per client address (see
 *    `clientIp`; IPv6 per /64) on the key `<prefix>:{ip:<address>}:requests`,
 *    reported in `RateLimit-*` headers on every answer;
 * 2. the failed-authentication limits, per client id (from the Basic
 *    header, see `clientIdOf`) and per address. The attempt is reserved as
 *    a failure before the provider runs (all or none, refused at the
 *    limit), so no more attempts than the limit ever reach argon2, however
 *    many arrive at once; it is given back when the answer is not
 *    `invalid_client`. A Basic credential that verified recently in this
 *    process (`ProvenCredentials`) is only read against the limits: it skips
 *    argon2, and its client's concurrency is then not bounded by them.
 *
 * A request's counters are one batch: in memory without awaiting anything,
 * in Redis in one round trip (one script on a single Redis). Giving a
 * reservation back is a second command, sent without waiting for it, for
 * the first success of a credential and for every success that names no
 * client in a Basic header (client_secret_post, private_key_jwt).
 * Over either limit: 429, `Retry-After` and `{ "error": "rate_limited", … }`.
 * While Redis cannot be asked, the batch is counted as `whenRedisDown`
 * says: in this process's memory, not at all, or refused with 503.
 *
 * Blocking per client id means anyone who knows an id (ids are not secret)
 * can keep that client out for a window by failing on purpose; that is the
 * price of bounding guesses at one secret from many addresses.
 */
export function createTokenEndpointGate(options: TokenEndpointGateOptions): Middleware {
  const { requestLimit, failures, counters, trustProxy, gateKindOf } = options;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const proven = new ProvenCredentials();
  const tooManyRequests = `too many requests from this address (limit ${formatLimitSpec(requestLimit)}), retry later`;

  /** Answers 429 and returns false when a limit is reached; otherwise sets the headers and returns true. */
  const admits = (ctx: Context, [requests, ...failureStates]: readonly WindowState[], mode: 'read' | 'reserve'): boolean => {
    const resetSeconds = Math.max(0, Math.ceil(requests!.ttlMs / 1000));
    setLimitHeaders(ctx, { limit: requestLimit.max, remaining: requestLimit.max - requests!.count, resetSeconds });
    if (requests!.count > requestLimit.max) {
      respondRateLimited(ctx, resetSeconds, tooManyRequests, 'ip');
      return false;
    }
    if (failureStates.length === 0) return true;
    const verdict = failures.verdictOf(failureStates, mode);
    if (verdict.limited) {
      respondRateLimited(ctx, verdict.retryAfterSeconds, 'too many failed client authentications, retry later', 'auth_failures');
      return false;
    }
    return true;
  };

  /** The attempt and the counters a request touches, from its address and its Basic header. */
  const countersOf = (ip: string, authorization: string): SocketCounters => {
    const attempt = { clientId: clientIdOfAuthorization(authorization), ip };
    const requests: WindowOp = { key: `${prefix}:${subjects.ip(ip)}:requests`, durationMs: requestLimit.durationMs, mode: 'hit' };
    return {
      authorization,
      attempt,
      credential: attempt.clientId === undefined ? undefined : ProvenCredentials.digestOf(authorization),
      requestOnly: [requests],
      read: [requests, ...failures.opsFor(attempt, 'read')],
      reserve: [requests, ...failures.opsFor(attempt, 'reserve')],
      giveBack: failures.opsFor(attempt, 'return'),
    };
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

  /** Applies `ops`: `answered` when the request was answered here (429, or 503 while Redis is down and `closed`). */
  const apply = async (ctx: Context, ops: readonly WindowOp[], mode: 'read' | 'reserve'): Promise<'counted' | 'uncounted' | 'answered'> => {
    // Without Redis nothing here is awaited before the provider runs.
    if (!counters.shared) return admits(ctx, counters.inMemory(ops), mode) ? 'counted' : 'answered';
    const answer = await counters.apply(ops);
    if ('fallback' in answer) {
      if (answer.fallback !== 'closed') return 'uncounted';
      respondLimitsUnavailable(ctx);
      return 'answered';
    }
    return admits(ctx, answer.value, mode) ? 'counted' : 'answered';
  };

  return async (ctx, next) => {
    const kind = gateKindOf(ctx);
    if (kind === undefined) return next();
    const counted = countersFor(ctx);
    if (kind === 'address_only') {
      if ((await apply(ctx, counted.requestOnly, 'read')) !== 'answered') await next();
      return;
    }
    const { credential } = counted;
    const mode = credential !== undefined && proven.has(credential) ? 'read' : 'reserve';
    const applied = await apply(ctx, mode === 'read' ? counted.read : counted.reserve, mode);
    if (applied === 'answered') return;
    const giveBack = () => {
      if (mode !== 'reserve' || applied === 'uncounted') return;
      if (counters.shared) void counters.apply(counted.giveBack);
      else counters.inMemory(counted.giveBack);
    };
    try {
      await next();
    } catch (error) {
      // Thrown past the provider (the audit log or the database unavailable: a 503):
      // not a failed authentication, so the reservation must not stand as one.
      giveBack();
      throw error;
    }
    const failed = ctx.status === 401 && (ctx.body as { error?: unknown } | null | undefined)?.error === 'invalid_client';
    if (mode === 'reserve') {
      if (failed) return;
      giveBack();
      if (applied !== 'uncounted' && credential !== undefined && secretVerifiedIn(ctx)) proven.prove(credential);
    } else if (failed) {
      if (credential !== undefined) proven.forget(credential);
      await failures.recordFailure(counted.attempt);
    }
  };
}
