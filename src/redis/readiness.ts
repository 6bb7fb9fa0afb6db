import { once } from 'node:events';
import { connectFailFast } from './client.js';

/** Readiness probes run every few seconds and must answer well inside their own timeout (often 1 s). */
export const DEFAULT_REDIS_PING_TIMEOUT_MS = 500;

export interface RedisReadinessCheck {
  /** Resolves when Redis answers PING within the timeout; rejects otherwise. */
  check(): Promise<void>;
  close(): void;
}

/**
 * A dedicated connection for /readyz, so a probe never waits behind rate-limit
 * traffic and never shares its failure handling. It fails fast
 * (`connectFailFast`: a PING while disconnected rejects at once) and keeps
 * reconnecting in the background, so readiness comes back by itself. A probe that finds it between connections waits for
 * it up to the same timeout, so a server just started is not reported down.
 */
export function createRedisReadinessCheck(url: string, options: { timeoutMs?: number } = {}): RedisReadinessCheck {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_PING_TIMEOUT_MS;
  const redis = connectFailFast(url, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs });
  // Without a listener ioredis prints every reconnect failure to stderr; /readyz reports the outage.
  redis.on('error', () => undefined);
  return {
    async check() {
      if (redis.status !== 'ready') await once(redis, 'ready', { signal: AbortSignal.timeout(timeoutMs) });
      await redis.ping();
    },
    close() {
      redis.disconnect();
    },
  };
}
