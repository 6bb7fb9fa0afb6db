import { migrate, type Database } from '../../adapters/database.js';
import { hashClearIds } from '../../adapters/hash-clear-ids.js';
import { createIdProtection } from '../../adapters/stored-ids.js';
import { KeyStore, type KeyBackend } from '../../keys/key-store.js';
import { createSealer } from '../../keys/seal.js';
import type { Config } from '../config.js';
import { keyStoreOptions } from '../keys/policy.js';
import type { Logger } from '../logger.js';

/**
 * Migrations, token ids stored before they were hashed, then the first signing keys when there are none: what the
 * database must hold before anything serves. Both steps are safe to run from
 * several processes at once; a cluster primary still runs them once before
 * forking, so a failure stops start-up with one message instead of N.
 */
export async function prepareStorage(database: Database, config: Config, logger: Logger, clock?: () => number, backend?: KeyBackend): Promise<KeyStore> {
  const applied = await migrate(database);
  if (applied.length) logger.info('migrations applied', { count: applied.length });
  const hashed = await hashClearIds(database.knex, createIdProtection(config.secrets));
  if (hashed) logger.info('stored token ids hashed', { count: hashed });
  const keyStore = new KeyStore(database.knex, createSealer(config.secrets), {
    ...keyStoreOptions(config),
    ...(clock ? { clock } : {}),
    ...(backend ? { backend } : {}),
  });
  await keyStore.initialize();
  return keyStore;
}
