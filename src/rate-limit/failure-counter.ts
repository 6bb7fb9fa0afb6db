import type { LimitSpec } from './limit-spec.js';
import { DEFAULT_PREFIX, subjects } from './respond.js';
import type { WindowCounters, WindowOp, WindowState } from './window-counters.js';

/** Who made an authentication attempt: the client id (or account) it named, if any, and its address. */
export interface AuthAttempt {
  readonly clientId: string | undefined;
  readonly ip: string;
}

export type FailureVerdict =
  | { readonly limited: false; readonly unavailable?: false }
  | { readonly limited: true; readonly retryAfterSeconds: number }
  /** Redis is down and `whenRedisDown` is `closed`. */
  | { readonly limited: false; readonly unavailable: true };

/**
 * Failed authentications, counted per client id (or account) and per
 * address in fixed windows. `check` runs before the secret is verified (so
 * before argon2) and never counts; `recordFailure` runs after the answer
 * was a failure. Neither throws: if Redis fails, the counters fall back as
 * `whenRedisDown` says (see `createWindowCounters`), and `check` reports
 * `unavailable` when that is `closed`.
 *
 * The token endpoint's gate reads these counters in the same batch as the
 * per-address request limit (`readOps` and `verdictOf`), so a token request
 * costs one round trip to Redis, not two.
 */
export interface FailureCounter {
  check(attempt: AuthAttempt): Promise<FailureVerdict>;
  recordFailure(attempt: AuthAttempt): Promise<void>;
  /** The ops that read `attempt`'s counters, for a caller batching them with its own. */
  readOps(attempt: AuthAttempt): WindowOp[];
  /** The verdict from the states `readOps` read (in the same order). */
  verdictOf(states: readonly WindowState[]): FailureVerdict;
}

export interface FailureCounterOptions {
  readonly counters: WindowCounters;
  /** Failures per client id. */
  readonly limit: LimitSpec;
  /** Failures per address (default: `limit`); higher than `limit`, since many clients may share a NAT. */
  readonly ipLimit?: LimitSpec | undefined;
  readonly prefix?: string | undefined;
}

export function createFailureCounter(options: FailureCounterOptions): FailureCounter {
  const { limit, counters } = options;
  const ipLimit = options.ipLimit ?? limit;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  // The address first: the gate relies on it being there for every attempt.
  const opsOf = ({ clientId, ip }: AuthAttempt, hit: boolean): WindowOp[] => {
    const ops = [{ key: `${prefix}:${subjects.ip(ip)}:auth-failures`, durationMs: ipLimit.durationMs, hit }];
    if (clientId) ops.push({ key: `${prefix}:${subjects.client(clientId)}:auth-failures`, durationMs: limit.durationMs, hit });
    return ops;
  };
  /** Limited while any counter has reached its limit, until the last of those windows ends. */
  const verdictOf = (states: readonly WindowState[]): FailureVerdict => {
    let waitMs = 0;
    states.forEach((state, index) => {
      const spec = index === 0 ? ipLimit : limit;
      if (state.count >= spec.max) waitMs = Math.max(waitMs, state.ttlMs > 0 ? state.ttlMs : spec.durationMs);
    });
    return waitMs === 0 ? NOT_LIMITED : { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  };
  return {
    readOps: (attempt) => opsOf(attempt, false),
    verdictOf,
    async check(attempt) {
      const answer = await counters.apply(opsOf(attempt, false));
      if ('fallback' in answer) return answer.fallback === 'closed' ? { limited: false, unavailable: true } : NOT_LIMITED;
      return verdictOf(answer.value);
    },
    async recordFailure(attempt) {
      await counters.apply(opsOf(attempt, true));
    },
  };
}

const NOT_LIMITED: FailureVerdict = Object.freeze({ limited: false });
