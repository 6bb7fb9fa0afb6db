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
 * was a failure. `reserve` and `giveBack` replace that pair where a burst
 * must not pass the limit: the attempt is booked as a failure before the
 * secret is verified, and given back when it turned out not to be one.
 * None throws: if Redis fails, the counters fall back as `whenRedisDown`
 * says (see `createWindowCounters`), and `check` and `reserve` report
 * `unavailable` when that is `closed`.
 *
 * The token endpoint's gate reads or reserves these counters in the same
 * batch as the per-address request limit (`opsFor` and `verdictOf`), so a
 * token request costs one round trip to Redis, not two.
 */
export interface FailureCounter {
  check(attempt: AuthAttempt): Promise<FailureVerdict>;
  recordFailure(attempt: AuthAttempt): Promise<void>;
  /**
   * Books `attempt` as a failure on both counters at once, unless either is
   * at its limit (then neither is counted and the verdict is limited): no
   * more than the limit of a parallel burst get past this.
   */
  reserve(attempt: AuthAttempt): Promise<FailureVerdict>;
  /** Takes back a reservation `reserve` admitted: the attempt succeeded. */
  giveBack(attempt: AuthAttempt): Promise<void>;
  /**
   * The ops on `attempt`'s counters, address first, for a caller batching
   * them with its own: `read` them, `reserve` the attempt (counted as a
   * failure unless a counter is at its limit) or `return` a reservation.
   */
  opsFor(attempt: AuthAttempt, mode: 'read' | 'reserve' | 'return'): WindowOp[];
  /**
   * The verdict from the states `opsFor` gave (in the same order): limited
   * when a reservation was refused, or, for `read`, when a counter has
   * already reached its limit.
   */
  verdictOf(states: readonly WindowState[], mode: 'read' | 'reserve'): FailureVerdict;
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
  // The address first: verdictOf tells the two limits apart by position.
  const opsFor = ({ clientId, ip }: AuthAttempt, mode: 'hit' | 'read' | 'reserve' | 'return'): WindowOp[] => {
    const op = (key: string, spec: LimitSpec): WindowOp =>
      mode === 'reserve' ? { key, durationMs: spec.durationMs, mode, limit: spec.max } : { key, durationMs: spec.durationMs, mode };
    const ops = [op(`${prefix}:${subjects.ip(ip)}:auth-failures`, ipLimit)];
    if (clientId) ops.push(op(`${prefix}:${subjects.client(clientId)}:auth-failures`, limit));
    return ops;
  };
  /** Limited while any counter is past its limit, until the last of those windows ends. */
  const verdictOf = (states: readonly WindowState[], mode: 'read' | 'reserve'): FailureVerdict => {
    // A reservation reports the count with this attempt in it; a read, the count before it.
    const attempt = mode === 'read' ? 1 : 0;
    let waitMs = 0;
    states.forEach((state, index) => {
      const spec = index === 0 ? ipLimit : limit;
      if (state.count + attempt > spec.max) waitMs = Math.max(waitMs, state.ttlMs > 0 ? state.ttlMs : spec.durationMs);
    });
    return waitMs === 0 ? NOT_LIMITED : { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  };
  const verdictFor = async (attempt: AuthAttempt, mode: 'read' | 'reserve'): Promise<FailureVerdict> => {
    const answer = await counters.apply(opsFor(attempt, mode));
    if ('fallback' in answer) return answer.fallback === 'closed' ? { limited: false, unavailable: true } : NOT_LIMITED;
    return verdictOf(answer.value, mode);
  };
  return {
    opsFor,
    verdictOf,
    check: (attempt) => verdictFor(attempt, 'read'),
    reserve: (attempt) => verdictFor(attempt, 'reserve'),
    async giveBack(attempt) {
      await counters.apply(opsFor(attempt, 'return'));
    },
    async recordFailure(attempt) {
      await counters.apply(opsFor(attempt, 'hit'));
    },
  };
}

const NOT_LIMITED: FailureVerdict = Object.freeze({ limited: false });
