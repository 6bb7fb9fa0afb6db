import type { ClientContext, Result } from 'ioredis';

/**
 * The Lua scripts the limiters define on their Redis connection
 * (`defineCommand`), typed the way ioredis documents for custom commands.
 */
declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** quota-counter.ts: [taken (1/0), count, ttl ms] */
    tollgateQuotaTake(key: string, max: number, durationMs: number): Result<[number, number, number], Context>;
    tollgateQuotaGiveBack(key: string): Result<number, Context>;
    /** window-counters.ts: the script for 1, 2 or 3 keys, then three arguments per key; [count, ttl ms] per key. */
    tollgateWindows1(...keysThenArgs: (string | number)[]): Result<number[], Context>;
    tollgateWindows2(...keysThenArgs: (string | number)[]): Result<number[], Context>;
    tollgateWindows3(...keysThenArgs: (string | number)[]): Result<number[], Context>;
  }
}
