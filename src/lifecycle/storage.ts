import type { Database } from '../../adapters/database.js';
import { isDatabaseUnavailable } from '../../adapters/database-errors.js';
import { startSweeper } from '../../adapters/sweeper.js';
import type { KeyBackend, KeyStore } from '../../keys/key-store.js';
import { openKeyBackend } from '../keys/backend.js';
import { ensureAdminResource } from '../admin/index.js';
import { AuditLog } from '../audit/audit-log.js';
import { BatchedAuditWriter } from '../audit/batched-writer.js';
import { rejectionCode } from '../audit/write-failure.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createRegistry, type Registry } from '../registry/index.js';
import { UserRepository } from '../users/index.js';
import type { Cleanups } from './cleanups.js';
import { OutageLog } from './outage-log.js';
import { prepareStorage } from './prepare-storage.js';
import { openDatabaseAtStart } from './wait-for-database.js';

/** Everything an instance keeps in the database, opened and migrated. */
export interface Storage {
  readonly database: Database;
  /** Where private signing keys live: sealed in the database, or a PKCS#11 token (logged in to, closed on shutdown). */
  readonly keyBackend: KeyBackend;
  readonly keyStore: KeyStore;
  readonly registry: Registry;
  readonly users: UserRepository;
  readonly audit: AuditLog;
  /** Token-endpoint events, group-committed before each answer; `flush()`/`stop()` wait for every event written so far. */
  readonly auditBatches: BatchedAuditWriter;
}

/**
 * Database (waited for, held by this process on SQLite) → migrations and key
 * store → registry, users, audit logs; expired rows swept every minute.
 */
export async function openStorage(config: Config, logger: Logger, cleanups: Cleanups, clock?: () => number): Promise<Storage> {
  const database = await openDatabaseAtStart(config, logger, { availability: new OutageLog(logger, 'database'), exclusiveToProcess: true });
  cleanups.add(() => database.close());
  const keyBackend = await openKeyBackend(config, logger);
  cleanups.add(() => keyBackend.close());
  const keyStore = await prepareStorage(database, config, logger, clock, keyBackend);

  const registry = createRegistry(database.knex);
  await ensureAdminResource(registry);
  const users = new UserRepository(database.knex, registry.tenants);
  // The database's error code only: a refusal's message may quote the refused value.
  const onRejected = (error: unknown) => logger.error('audit event refused by the database: recorded as audit.row_rejected', { code: rejectionCode(error) });
  const audit = new AuditLog(database.knex, {
    onError: (error) => {
      if (!isDatabaseUnavailable(error)) logger.error('audit event not recorded', { error: (error as Error)?.message });
    },
    onRejected,
  });
  cleanups.add(() => audit.settled());
  // One row per token request, committed before the answer is sent; concurrent requests share one INSERT.
  const auditBatches = new BatchedAuditWriter(database.knex, {
    // An unavailable database is logged once for the whole outage (OutageLog); each write's failure is its request's 503.
    onError: (error) => {
      if (!isDatabaseUnavailable(error)) logger.error('audit events not written, their requests answered 503', { error: (error as Error)?.message });
    },
    onRejected,
  });
  cleanups.add(() => auditBatches.stop());
  const sweeper = startSweeper(database.knex, {
    intervalMs: 60_000,
    batchSize: 500,
    auditRetentionMs: config.auditRetentionDays === undefined ? undefined : config.auditRetentionDays * 86_400_000,
    onError: (error) => logger.warn('expired-row sweep failed', { error: (error as Error)?.message }),
  });
  cleanups.add(() => sweeper.stop());
  return { database, keyBackend, keyStore, registry, users, audit, auditBatches };
}
