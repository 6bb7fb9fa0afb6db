import { connectFailFast, connectRedis } from '../redis/client.js';
import type { Logger } from '../logger.js';

/** The Redis channel a key change is announced on. */
export const KEY_CHANGE_CHANNEL = 'tollgate:signing-keys-changed';

/**
 * Optional near-instant pickup of key changes across instances. Polling the
 * key table (every 5 s) is what guarantees every instance switches; this
 * only shortens the wait. Redis being down therefore costs nothing but speed:
 * errors are logged, never thrown into a request.
 */
export function subscribeToKeyChanges(redisUrl: string, onChange: () => void, logger: Logger): { close(): Promise<void> } {
  const subscriber = connectRedis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  subscriber.on('error', (error: Error) => logger.warn('redis key-change subscription error', { error: error.message }));
  subscriber.subscribe(KEY_CHANGE_CHANNEL).catch((error: Error) => logger.warn('redis subscribe failed', { error: error.message }));
  subscriber.on('message', (channel: string) => {
    if (channel === KEY_CHANGE_CHANNEL) onChange();
  });
  return {
    async close() {
      subscriber.disconnect();
    },
  };
}

/** Announces a key change (best effort, bounded to ~1 s): the key table stays the source of truth. */
export async function announceKeyChange(redisUrl: string): Promise<boolean> {
  const publisher = connectFailFast(redisUrl, { connectTimeoutMs: 1_000, reconnect: false, lazyConnect: true });
  publisher.on('error', () => undefined);
  try {
    await publisher.connect();
    await publisher.publish(KEY_CHANGE_CHANNEL, String(Date.now()));
    return true;
  } catch {
    return false;
  } finally {
    publisher.disconnect();
  }
}
