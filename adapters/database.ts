import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from './migrations/index.js';

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

/** `sqlite:./data/x.sqlite`, `sqlite::memory:` or `postgres://…` → a Knex instance. */
export function openDatabase(url: string, options: { log?: DatabaseLog } = {}): Database {
  const log = knexLog(options.log);
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const filename = file === ':memory:' ? ':memory:' : resolve(file);
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
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
  const instance = knex({
    client: 'pg',
    connection: url,
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
  return database.knex.transaction(async (lock) => {
    await lock.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    return latest();
  });
}
