import type { KeyStore } from '../../keys/key-store.js';
import { KeyStoreError } from '../../keys/key-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../logger.js';
import type { ProviderHost } from '../provider/provider-host.js';

/**
 * What every instance does on a timer: retire keys past their retiring window
 * and, when TOLLGATE_KEY_ROTATION_DAYS is set, rotate once the active key is
 * that old. Instances race harmlessly: the key store lets one rotation win
 * and refuses the others (ERR_ROTATION_CONFLICT), which is not an error here.
 * After any change the provider is rebuilt at once rather than at the next poll.
 */
export function startKeyMaintenance(options: {
  keyStore: KeyStore;
  providerHost: ProviderHost;
  logger: Logger;
  audit: AuditLog;
  intervalMs: number;
  rotationDays?: number;
  clock?: () => number;
  /** Tells other instances (Redis) so they need not wait for their next poll. */
  announce?: () => Promise<unknown>;
}): { runOnce(): Promise<void>; stop(): void } {
  const { keyStore, providerHost, logger } = options;
  const clock = options.clock ?? Date.now;

  async function rotateIfDue(): Promise<boolean> {
    if (!options.rotationDays) return false;
    const active = (await keyStore.list()).find((key) => key.state === 'active');
    const since = active?.activatedAt ?? active?.createdAt;
    if (since === undefined || clock() - since < options.rotationDays * 86_400_000) return false;
    try {
      const result = await keyStore.rotate();
      logger.info('signing keys rotated on schedule', { activated: result.activated, retiring: result.retiring, next: result.next });
      await options.audit.record({
        type: 'key.rotated',
        actor: 'server',
        subject: result.activated,
        detail: { activated: result.activated, retiring: result.retiring, next: result.next, scheduled: true },
      });
      return true;
    } catch (error) {
      if (error instanceof KeyStoreError && (error.code === 'ERR_ROTATION_CONFLICT' || error.code === 'ERR_NEXT_KEY_TOO_NEW')) return false;
      throw error;
    }
  }

  async function runOnce(): Promise<void> {
    // A token object whose destruction a module outage held up goes now.
    const destroyed = await keyStore.destroyUnusedPrivateParts();
    if (destroyed.length) logger.info('private keys of retired or revoked signing keys destroyed', { kids: destroyed.join(' ') });
    const retired = await keyStore.retireExpired();
    if (retired.length) {
      logger.info('signing keys retired', { kids: retired.join(' ') });
      await options.audit.record({ type: 'key.retired', actor: 'server', detail: { retired: retired.join(' ') } });
    }
    const rotated = await rotateIfDue();
    if (retired.length || rotated) {
      await providerHost.refresh();
      await options.announce?.();
    }
  }

  const timer = setInterval(() => {
    runOnce().catch((error: unknown) => logger.error('key maintenance failed', { error: (error as Error)?.message }));
  }, options.intervalMs);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
