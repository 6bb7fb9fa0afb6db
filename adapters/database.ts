import { resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { isDatabaseUnavailable, withoutSql } from './database-errors.js';
import { migrationSource } from './migrations/index.js';
import { busyRetryingSqliteClient, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-client.js';
import { lockForThisProcess } from './sqlite-process-lock.js';
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

/** Where knex's own warnings go (deprecations, pool trouble), one line each, no stack. */
export type DatabaseLog = (level: 'debug' | 'warn' | 'error', message: string) => void;

export interface DatabaseOptions {
  log?: DatabaseLog;
  /**
   * The bound on every database call, in milliseconds: connecting, waiting
   * for a pooled connection, a query (and on SQLite, waiting for a write
   * lock another process holds). Past it the call fails with an error
   * `isDatabaseUnavailable` recognises. Default DEFAULT_DATABASE_TIMEOUT_MS.
   */
  timeoutMs?: number;
  /** Told of every call that failed because the database is unavailable, and of every call that succeeded. */
  availability?: DatabaseAvailabilityListener;
  /**
   * A server's database: on SQLite, refuse to open a file another process
   * serves (see sqlite-process-lock.ts). CLI commands leave it off: they run
   * beside the server, as short transactions that wait their turn.
   */
  exclusiveToProcess?: boolean;
}

export interface DatabaseAvailabilityListener {
  unavailable(error: unknown): void;
  available(): void;
}

/** TOLLGATE_DATABASE_TIMEOUT's default: a partition answers 503 within it. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 2_000;
/** Idle time after which TCP keepalive probes a PostgreSQL connection, so a dead peer is noticed while the connection waits in the pool. */
const KEEPALIVE_DELAY_MS = 10_000;

/** The first line: knex adds stacks to some warnings, and a log line carries none. */
const messageOf = (entry: unknown) => (entry instanceof Error ? entry.message : String(entry)).split('\n', 1)[0]!;

/**
 * knex warns once per failed acquire and per dead connection it discards:
 * during an outage, once per request. Those are reported through
 * `availability` (an outage log: start, summary, end), so here they are debug.
 */
const PER_CALL_WARNINGS = /^(Acquire connection error|Connection Error): /;

function knexLog(log: DatabaseLog | undefined) {
  const sink = log ?? (() => undefined);
  return {
    warn: (entry: unknown) => {
      const message = messageOf(entry);
      sink(PER_CALL_WARNINGS.test(message) ? 'debug' : 'warn', message);
    },
    error: (entry: unknown) => sink('error', messageOf(entry)),
    deprecate: (entry: unknown) => sink('warn', messageOf(entry)),
    debug: () => undefined,
  };
}

/** What knex tells its listeners about a query. */
interface QueryEvent {
  readonly sql: string;
  readonly __knexUid?: string;
}

/**
 * Keeps error messages free of SQL and values, and reports availability:
 * every query that answered, every query, connection or pool wait that
 * failed because the database is unavailable.
 */
function watchQueries(instance: Knex, availability: DatabaseAvailabilityListener | undefined, onTimeout?: (query: QueryEvent) => void): void {
  instance.on('query-error', (error: unknown, query: QueryEvent) => {
    withoutSql(error, query.sql);
    if (onTimeout && error instanceof Error && error.message === 'Query read timeout') onTimeout(query);
    if (availability && isDatabaseUnavailable(error)) availability.unavailable(error);
  });
  if (!availability) return;
  instance.on('query-response', () => availability.available());
  // No query ran: connecting failed or no connection was free in time.
  instance.client.pool?.on('acquireFail', (_eventId: number, error: unknown) => {
    if (isDatabaseUnavailable(error)) availability.unavailable(error);
  });
}

/**
 * `sqlite:./data/x.sqlite`, `sqlite::memory:`, `postgres://…`, or
 * `cockroachdb://…` (knex's CockroachDB client over the pg driver; same SQL
 * as PostgreSQL minus table locks, see lockSigningKeys) → a Knex instance.
 * Every call is bounded by `timeoutMs`, so an unreachable database fails a
 * request (503) instead of hanging it.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const log = knexLog(options.log);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const filename = file === ':memory:' ? ':memory:' : resolve(file);
    if (filename !== ':memory:') preparePrivateSqliteFile(filename);
    const release = options.exclusiveToProcess && filename !== ':memory:' ? lockForThisProcess(filename) : () => undefined;
    const instance = knex({
      client: busyRetryingSqliteClient(timeoutMs),
      connection: { filename },
      useNullAsDefault: true,
      compileSqlOnError: false,
      log,
      acquireConnectionTimeout: timeoutMs,
      // better-sqlite3 is synchronous: one connection serialises writes
      // instead of failing them with SQLITE_BUSY.
      pool: {
        min: 1,
        max: 1,
        afterCreate(connection: { pragma(source: string): unknown }, done: (error: Error | null, connection: unknown) => void) {
          connection.pragma('journal_mode = WAL');
          connection.pragma('synchronous = NORMAL');
          connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          connection.pragma('foreign_keys = ON');
          done(null, connection);
        },
      },
    });
    watchQueries(instance, options.availability);
    return {
      knex: instance,
      kind: 'sqlite',
      close: async () => {
        try {
          await instance.destroy();
        } finally {
          release();
        }
      },
    };
  }
  const cockroach = url.startsWith('cockroachdb://');
  const connectionString = cockroach ? `postgres://${url.slice('cockroachdb://'.length)}` : url;
  /** Connections by knex id, to end one whose query timed out. */
  const connections = new Map<string, pg.Client>();
  /** Ended here: never handed out again, even before node-postgres reports the end. */
  const ended = new WeakSet<pg.Client>();
  const client = cockroach ? 'cockroachdb' : 'pg';
  const instance = knex({
    client,
    connection: { connectionString, ...connectBounds(timeoutMs), ...queryBounds(timeoutMs) },
    compileSqlOnError: false,
    log,
    pool: {
      min: 0,
      max: 10,
      idleTimeoutMillis: 30_000,
      afterCreate(connection: pg.Client & { __knexUid: string }, done: (error: Error | null, connection: unknown) => void) {
        const id = connection.__knexUid;
        connections.set(id, connection);
        connection.once('end', () => connections.delete(id));
        done(null, connection);
      },
      validate: (connection: pg.Client) => !ended.has(connection),
    },
    acquireConnectionTimeout: timeoutMs,
  });
  // node-postgres answers a query past query_timeout but leaves the
  // connection waiting for the server's reply: ended here, the pool
  // discards it instead of handing it to the next request, and a
  // transaction on it fails at once instead of waiting out its ROLLBACK.
  watchQueries(instance, options.availability, (query) => {
    const connection = query.__knexUid === undefined ? undefined : connections.get(query.__knexUid);
    if (!connection) return;
    ended.add(connection);
    connection.end().catch(() => undefined);
  });
  unboundedConfigs.set(instance, { client, connection: { connectionString, ...connectBounds(timeoutMs) }, compileSqlOnError: false, log, pool: { min: 0, max: 2 } });
  return { knex: instance, kind: 'postgres', close: () => instance.destroy() };
}

/** PostgreSQL databases by their request-bound knex: the same database without query bounds, for migrations. */
const unboundedConfigs = new WeakMap<Knex, Knex.Config>();

/**
 * node-postgres settings that bound connecting (`connectionTimeoutMillis`)
 * and notice a dead idle connection (TCP keepalive).
 */
const connectBounds = (timeoutMs: number) => ({
  connectionTimeoutMillis: timeoutMs,
  keepAlive: true,
  keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
});

/**
 * …and a query, on the client (`query_timeout`, which also fires when the
 * network silently drops packets) and on the server (`statement_timeout`, so
 * an abandoned statement does not run on holding its locks).
 */
const queryBounds = (timeoutMs: number) => ({ query_timeout: timeoutMs, statement_timeout: timeoutMs });

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
  const config = unboundedConfigs.get(database.knex);
  if (!config) return migrateWith(database.knex, database.kind);
  // A migration may run longer than any request may wait (an index build,
  // another replica's migrations holding the lock): on connections of its
  // own, bounded only in connecting.
  const own = knex(config);
  try {
    return await migrateWith(own, database.kind);
  } finally {
    await own.destroy();
  }
}

async function migrateWith(instance: Knex, kind: DatabaseKind): Promise<string[]> {
  const latest = async () => {
    const [, applied] = (await instance.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  };
  if (kind !== 'postgres') return latest();
  if ((instance.client as { driverName?: string }).driverName === 'cockroachdb') {
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
  return instance.transaction(async (lock) => {
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
