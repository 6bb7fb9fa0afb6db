import type { RedisConnection as Redis } from '../redis/client.js';
import { memoryWindows, type MemoryWindow, type WindowStoreOptions } from './memory-windows.js';
import { redisFirst, type RedisAnswer } from './redis.js';
import type { RedisDownPolicy } from './settings.js';

/**
 * One fixed-window counter a request touches:
 * - `hit`: counted in;
 * - `read`: only read;
 * - `reserve`: counted in only if every `reserve` op of the batch is below
 *   its `limit` (all or none, atomically), and then reports the count that
 *   includes this attempt whether or not it was counted: above `limit`
 *   means refused. How an attempt is booked before the work it limits runs,
 *   so a parallel burst cannot pass between a check and a count;
 * - `return`: takes one back (never below zero): a reservation that turned
 *   out not to be a failure.
 */
export type WindowOp =
  | { readonly key: string; readonly durationMs: number; readonly mode: 'hit' | 'read' | 'return' }
  | { readonly key: string; readonly durationMs: number; readonly mode: 'reserve'; readonly limit: number };

/** A counter after the op: the count in its window and milliseconds until that window ends (≤ 0: no live window). */
export interface WindowState {
  readonly count: number;
  readonly ttlMs: number;
}

/**
 * Fixed-window counters (the window starts at the first hit) for the
 * per-address request limit and the failure counters, shared by every limit
 * of one process so a request's counters are one batch: in memory at once,
 * in Redis in one round trip. On a single Redis that is one script call; on
 * a Cluster, one call per hash slot (keys are tagged per subject, see
 * `subjects`), all sent together; there a batch's reservations are all or
 * none per slot (a client's count may admit while its address's refuses).
 */
export interface WindowCounters {
  /** True when the counters live in Redis (shared by every instance). */
  readonly shared: boolean;
  /** Applies `ops` in this process's memory: without Redis, and as the `memory` fallback. */
  inMemory(ops: readonly WindowOp[]): WindowState[];
  /** Applies `ops` in Redis, or, while it cannot be asked, as `whenRedisDown` says (memory is resolved here). */
  apply(ops: readonly WindowOp[]): Promise<RedisAnswer<WindowState[]>>;
}

export interface WindowCountersOptions extends WindowStoreOptions {
  /** While Redis is unavailable: count in memory (default), count nothing, or refuse. */
  readonly whenRedisDown?: RedisDownPolicy | undefined;
}

export function createWindowCounters(options: WindowCountersOptions): WindowCounters {
  const now = options.now ?? Date.now;
  const windows = memoryWindows(options.memoryCapacity ?? 200_000, now);
  const stateOf = (window: MemoryWindow | undefined, extra = 0): WindowState =>
    window ? { count: window.count + extra, ttlMs: window.endsAt - now() } : { count: extra, ttlMs: 0 };
  const inMemory = (ops: readonly WindowOp[]): WindowState[] => {
    const admitted = ops.every((op) => op.mode !== 'reserve' || (windows.live(op.key)?.count ?? 0) < op.limit);
    return ops.map((op) => {
      switch (op.mode) {
        case 'hit':
          return stateOf(windows.hit(op.key, op.durationMs));
        case 'reserve':
          return admitted ? stateOf(windows.hit(op.key, op.durationMs)) : stateOf(windows.live(op.key), 1);
        case 'return': {
          const window = windows.live(op.key);
          if (window && window.count > 0) window.count -= 1;
          return stateOf(window);
        }
        case 'read':
          return stateOf(windows.live(op.key));
      }
    });
  };
  const viaRedis = redisFirst(options.redis, options.onError, options.whenRedisDown);
  const redis = options.redis ? redisWindows(options.redis) : undefined;
  return {
    shared: redis !== undefined,
    inMemory,
    async apply(ops) {
      const answer = await viaRedis(() => redis!(ops));
      return 'fallback' in answer && answer.fallback === 'memory' ? { value: inMemory(ops) } : answer;
    },
  };
}

/**
 * KEYS: the counters; ARGV: per key, its window length (ms), its mode
 * (`WindowOp`) and its limit (used by `reserve`). Returns count, PTTL per
 * key. A count starts the window at the first one; PTTL -1 (no expiry)
 * repairs a key left without one. The reservations are decided before any
 * key is written, so they are all or none.
 */
const WINDOWS_SCRIPT = `local admitted = true
for i, key in ipairs(KEYS) do
  if ARGV[3 * i - 1] == 'reserve' and tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[3 * i]) then
    admitted = false
  end
end
local out = {}
for i, key in ipairs(KEYS) do
  local mode = ARGV[3 * i - 1]
  local count, ttl
  if mode == 'hit' or (mode == 'reserve' and admitted) then
    count = redis.call('INCR', key)
    ttl = redis.call('PTTL', key)
    if count == 1 or ttl < 0 then
      ttl = tonumber(ARGV[3 * i - 2])
      redis.call('PEXPIRE', key, ttl)
    end
  else
    count = tonumber(redis.call('GET', key) or '0')
    if mode == 'return' and count > 0 then
      count = redis.call('DECR', key)
    elseif mode == 'reserve' then
      count = count + 1
    end
    ttl = redis.call('PTTL', key)
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out`;

/** `tollgateWindows<n>`: the script for n keys (typed in redis-scripts.d.ts). */
type WindowsScript = (...keysThenArgs: (string | number)[]) => Promise<number[]>;

/** One script per number of keys, up to the most counters one batch touches: a request's counter and its two failure counts. */
const WINDOWS_SCRIPT_NAMES = ['tollgateWindows1', 'tollgateWindows2', 'tollgateWindows3'] as const;
const MAX_KEYS = WINDOWS_SCRIPT_NAMES.length;

/** The Redis side: one script call per hash slot, sent in the same tick (auto-pipelined into one write). */
function redisWindows(redis: Redis): (ops: readonly WindowOp[]) => Promise<WindowState[]> {
  // A fixed key count per script, so the first argument is a key: ioredis
  // picks a Cluster node (also when auto-pipelining) from the first argument.
  // All are defined up front: an auto-pipeline copies the commands defined
  // when it starts, so one defined later is missing from it.
  const scripts: WindowsScript[] = [];
  for (let numberOfKeys = 1; numberOfKeys <= MAX_KEYS; numberOfKeys += 1) {
    const name = WINDOWS_SCRIPT_NAMES[numberOfKeys - 1]!;
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua: WINDOWS_SCRIPT });
    // defineCommand adds the method at run time.
    scripts[numberOfKeys] = redis[name].bind(redis);
  }
  const call = async (ops: readonly WindowOp[]): Promise<WindowState[]> => {
    const script = scripts[ops.length];
    if (!script) throw new RangeError(`${ops.length} counters in one batch; at most ${MAX_KEYS}`);
    const args: (string | number)[] = ops.map((op) => op.key);
    for (const op of ops) args.push(op.durationMs, op.mode, op.mode === 'reserve' ? op.limit : 0);
    const reply = await script(...args);
    return ops.map((_, index) => ({ count: reply[2 * index]!, ttlMs: reply[2 * index + 1]! }));
  };
  if (!redis.isCluster) return call;
  return async (ops) => {
    const bySlot = new Map<string, number[]>();
    ops.forEach((op, index) => {
      const tag = hashTag(op.key);
      const indexes = bySlot.get(tag);
      if (indexes) indexes.push(index);
      else bySlot.set(tag, [index]);
    });
    const states: WindowState[] = new Array(ops.length);
    await Promise.all(
      [...bySlot.values()].map(async (indexes) => {
        const answers = await call(indexes.map((index) => ops[index]!));
        indexes.forEach((index, position) => (states[index] = answers[position]!));
      }),
    );
    return states;
  };
}

/** The `{…}` part Redis Cluster hashes (the whole key when there is none). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
