import type { KeyStore } from '../../keys/key-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import type { Cleanups } from '../lifecycle/cleanups.js';
import type { Logger } from '../logger.js';
import type { ProviderHost } from '../provider/provider-host.js';
import { announceKeyChange, subscribeToKeyChanges } from './change-channel.js';
import { startKeyMaintenance } from './maintenance.js';

/** How often every instance checks the key table for a rotation (the bound: 10 s). */
const KEY_POLL_MS = 5_000;
/** How often every instance retires keys past their window and checks the rotation schedule. */
const KEY_MAINTENANCE_MS = 60_000;

export type KeyMaintenance = ReturnType<typeof startKeyMaintenance>;

/**
 * Keeps this instance's signing keys current: polls the key table (and,
 * with Redis, rebuilds at once when another instance announces a change),
 * and runs the maintenance schedule (retire, rotate when due).
 */
export function keepKeysCurrent(options: {
  config: Config;
  logger: Logger;
  keyStore: KeyStore;
  providerHost: ProviderHost;
  audit: AuditLog;
  cleanups: Cleanups;
  clock?: (() => number) | undefined;
}): KeyMaintenance {
  const { config, logger, providerHost, cleanups } = options;
  providerHost.watch(KEY_POLL_MS, (error) => logger.error('signing key refresh failed', { error: (error as Error)?.message }));
  if (config.redisUrl) {
    const subscription = subscribeToKeyChanges(config.redisUrl, () => void providerHost.refresh().catch(() => undefined), logger);
    cleanups.add(() => subscription.close());
  }
  const keyMaintenance = startKeyMaintenance({
    keyStore: options.keyStore,
    providerHost,
    logger,
    audit: options.audit,
    intervalMs: KEY_MAINTENANCE_MS,
    ...(config.keyRotationDays ? { rotationDays: config.keyRotationDays } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(config.redisUrl ? { announce: () => announceKeyChange(config.redisUrl!) } : {}),
  });
  cleanups.add(() => keyMaintenance.stop());
  return keyMaintenance;
}
