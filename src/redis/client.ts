import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A single Redis or a Redis Cluster: every Tollgate use of Redis works on either. */
export type RedisConnection = Redis | Cluster;

/**
 * How a Redis Cluster is named where a Redis URL would go:
 * `redis-cluster://host1:6379,host2:6379` (built from REDIS_CLUSTER_NODES).
 */
export const CLUSTER_SCHEME = 'redis-cluster://';

/** `host:port,host:port` (REDIS_CLUSTER_NODES, checked by its config pattern) → the target `connectRedis` understands. */
export function clusterTarget(nodes: string): string {
  return `${CLUSTER_SCHEME}${nodes}`;
}

/** The seed nodes of a `redis-cluster://` target, or undefined for a plain `redis://` URL. */
export function clusterNodes(target: string): { host: string; port: number }[] | undefined {
  if (!target.startsWith(CLUSTER_SCHEME)) return undefined;
  return target
    .slice(CLUSTER_SCHEME.length)
    .split(',')
    .map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    });
}

/**
 * Connects to a Redis URL or a `redis-cluster://` target with the same
 * options. For a cluster, the offline queue, retry strategy and
 * auto-pipelining apply to the cluster client and the rest to each node's
 * connection. Keys are hash-tagged per subject (`{client:…}`, `{ip:…}`)
 * and every script touches one key, so nothing Tollgate sends crosses slots.
 */
export function connectRedis(target: string, options: RedisOptions = {}): RedisConnection {
  const nodes = clusterNodes(target);
  if (!nodes) return new Redis(target, options);
  const { enableOfflineQueue, retryStrategy, enableAutoPipelining, lazyConnect, ...nodeOptions } = options;
  return new Cluster(nodes, {
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    clusterRetryStrategy: retryStrategy ?? reconnectBackOff,
    redisOptions: nodeOptions,
  });
}

/** Reconnect after 200 ms, 400 ms, … at most every 2 s: Redis comes back by itself. */
export const reconnectBackOff = (attempt: number): number => Math.min(attempt * 200, 2_000);

/**
 * A connection for work that must never wait on Redis (rate limits,
 * readiness probes, key-change announcements): commands are never queued
 * while disconnected (`enableOfflineQueue: false` rejects at once), never
 * retried, and time out after `commandTimeoutMs`. With `reconnect` (the
 * default) the connection keeps reconnecting in the background; without it
 * a failed connection stays failed (one-shot publishers).
 */
export function connectFailFast(
  target: string,
  options: { commandTimeoutMs?: number; connectTimeoutMs: number; reconnect?: boolean; autoPipelining?: boolean; lazyConnect?: boolean },
): RedisConnection {
  return connectRedis(target, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: options.connectTimeoutMs,
    ...(options.commandTimeoutMs !== undefined ? { commandTimeout: options.commandTimeoutMs } : {}),
    ...(options.autoPipelining ? { enableAutoPipelining: true } : {}),
    ...(options.lazyConnect ? { lazyConnect: true } : {}),
    retryStrategy: options.reconnect === false ? () => null : reconnectBackOff,
  });
}
