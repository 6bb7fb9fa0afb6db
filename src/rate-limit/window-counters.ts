import type { RedisConnection as Redis } from '../redis-client.js';
import { memoryWindows, type WindowStoreOptions } from './memory-windows.js';
import { redisFirst, type RedisAnswer } from './redis.js';
import type { RedisDownPolicy } from './settings.js';

/** One fixed-window counter a request touches: counted in (`hit`) or only read. */
export interface WindowOp {
  readonly key: string;
  /** Length of a window this op starts (a `hit` on a key with no live window). */
  readonly durationMs: number;
  readonly hit: boolean;
}

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
 * `subjects`), all sent together.
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
  const inMemory = (ops: readonly WindowOp[]): WindowState[] =>
    ops.map(({ key, durationMs, hit }) => {
      const window = hit ? windows.hit(key, durationMs) : windows.live(key);
      return window ? { count: window.count, ttlMs: window.endsAt - now() } : NO_WINDOW;
    });
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

const NO_WINDOW: WindowState = Object.freeze({ count: 0, ttlMs: 0 });

/**
 * KEYS: the counters; ARGV: per key, its window length (ms) and 1 to count
 * or 0 to read. Returns count, PTTL per key. A hit starts the window at the
 * first count; PTTL -1 (no expiry) repairs a key left without one.
 */
const WINDOWS_SCRIPT = `local out = {}
for i, key in ipairs(KEYS) do
  local count, ttl
  if ARGV[2 * i] == '1' then
    count = redis.call('INCR', key)
    ttl = redis.call('PTTL', key)
    if count == 1 or ttl < 0 then
      ttl = tonumber(ARGV[2 * i - 1])
      redis.call('PEXPIRE', key, ttl)
    end
  else
    count = tonumber(redis.call('GET', key) or '0')
    ttl = redis.call('PTTL', key)
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out`;

/** `tollgateWindows<n>`: the script for n keys. */
type WindowsScripts = Record<string, (...keysThenArgs: (string | number)[]) => Promise<number[]>>;

/** Most counters one batch touches: a request's counter and its two failure counts. */
const MAX_KEYS = 3;

/** The Redis side: one script call per hash slot, sent in the same tick (auto-pipelined into one write). */
function redisWindows(redis: Redis): (ops: readonly WindowOp[]) => Promise<WindowState[]> {
  // A fixed key count per script, so the first argument is a key: ioredis
  // picks a Cluster node (also when auto-pipelining) from the first argument.
  // All are defined up front: an auto-pipeline copies the commands defined
  // when it starts, so one defined later is missing from it.
  const scripts: WindowsScripts[string][] = [];
  for (let numberOfKeys = 1; numberOfKeys <= MAX_KEYS; numberOfKeys += 1) {
    const name = `tollgateWindows${numberOfKeys}`;
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua: WINDOWS_SCRIPT });
    // defineCommand adds the method at run time; ioredis cannot type it.
    scripts[numberOfKeys] = (redis as unknown as WindowsScripts)[name]!.bind(redis);
  }
  const call = async (ops: readonly WindowOp[]): Promise<WindowState[]> => {
    const script = scripts[ops.length];
    if (!script) throw new RangeError(`${ops.length} counters in one batch; at most ${MAX_KEYS}`);
    const args: (string | number)[] = ops.map((op) => op.key);
    for (const op of ops) args.push(op.durationMs, op.hit ? 1 : 0);
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
