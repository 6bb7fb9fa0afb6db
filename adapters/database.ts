import { resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from './migrations/index.js';
import { preparePrivateSqliteFile } from './private-files.js';

// BIGINT columns hold epoch times, far below 2^53: return them as numbers,
// as better-sqlite3 does, instead of pg's default strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type DatabaseKind = 'sqlite' | 'postgres';

export interface Database {
  readonly knex: Knex;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

/** Where knex's own warnings go (pool errors during an outage, deprecations). */
export type DatabaseLog = (level: 'warn' | 'error', message: string) => void;

const messageOf = (entry: unknown) => (entry instanceof Error ? entry.message : String(entry));

function knexLog(log: DatabaseLog | undefined) {
  const sink = log ?? (() => undefined);
  return {
    warn: (entry: unknown) => sink('warn', messageOf(entry)),
    error: (entry: unknown) => sink('error', messageOf(entry)),
    deprecate: (entry: unknown) => sink('warn', messageOf(entry)),
    debug: () => undefined,
  };
}

/**
 * `sqlite:./data/x.sqlite`, `sqlite::memory:`, `postgres://…`, or
 * `cockroachdb://…` (knex's CockroachDB client over the pg driver; same SQL
 * as PostgreSQL minus table locks, see lockSigningKeys) → a Knex instance.
 */
export function openDatabase(url: string, options: { log?: DatabaseLog } = {}): Database {
  const log = knexLog(options.log);
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const filename = file === ':memory:' ? ':memory:' : resolve(file);
    if (filename !== ':memory:') preparePrivateSqliteFile(filename);
    const instance = knex({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      log,
      // better-sqlite3 is synchronous: one connection serialises writes
      // instead of failing them with SQLITE_BUSY.
      pool: {
        min: 1,
        max: 1,
        afterCreate(connection: { pragma(source: string): unknown }, done: (error: Error | null, connection: unknown) => void) {
          connection.pragma('journal_mode = WAL');
          connection.pragma('synchronous = NORMAL');
          connection.pragma('busy_timeout = 5000');
          connection.pragma('foreign_keys = ON');
          done(null, connection);
        },
      },
    });
    return { knex: instance, kind: 'sqlite', close: () => instance.destroy() };
  }
  const cockroach = url.startsWith('cockroachdb://');
  const instance = knex({
    client: cockroach ? 'cockroachdb' : 'pg',
    connection: cockroach ? `postgres://${url.slice('cockroachdb://'.length)}` : url,
    log,
    pool: { min: 0, max: 10, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 5_000,
  });
  return { knex: instance, kind: 'postgres', close: () => instance.destroy() };
}

/** Any fixed number: every Tollgate process takes this PostgreSQL advisory lock around its migrations. */
const MIGRATION_LOCK_KEY = 7_011_647;

/**
 * Runs every pending migration; safe to call from several processes at once
 * (replicas starting together). knex's own lock lives in a table knex creates
 * first, and on a fresh PostgreSQL database two processes creating it at once
 * collide (`duplicate key … pg_type`), so there the whole step waits on an
 * advisory lock, held by a transaction that releases it however the step ends.
 */
export async function migrate(database: Database): Promise<string[]> {
  const latest = async () => {
    const [, applied] = (await database.knex.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  };
  if (database.kind !== 'postgres') return latest();
  if ((database.knex.client as { driverName?: string }).driverName === 'cockroachdb') {
    // CockroachDB has no advisory locks: a process that loses the race to
    // create knex's tables (duplicate key, or a serialization failure) tries
    // again, and then finds the migration lock table in place.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await latest();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= 5 || (code !== '23505' && code !== '40001')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }
  return database.knex.transaction(async (lock) => {
    await lock.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    return latest();
  });
}

/** SQLSTATEs that mean "the transaction lost a race; run it again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `work` in a transaction, again (up to `attempts` times, with a short
 * random back-off) when the database aborts it as a lost race. PostgreSQL
 * does this for deadlocks; CockroachDB, SERIALIZABLE by default and without
 * table locks, does it whenever two transactions conflict, and expects the
 * client to retry. `work` must be safe to run again: everything it wrote was
 * rolled back.
 */
export async function inTransaction<T>(knexInstance: Knex, work: (trx: Knex.Transaction) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await knexInstance.transaction(work);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= attempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
