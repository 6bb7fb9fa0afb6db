import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
// knex's own better-sqlite3 dialect: the client below changes only how a busy database is waited for.
import Client_BetterSQLite3 from 'knex/lib/dialects/better-sqlite3/index.js';
import { isSqliteBusy } from './database-errors.js';

/** What this module needs of a better-sqlite3 connection (the package ships no types). */
interface SqliteConnection {
  readonly inTransaction: boolean;
}

/**
 * SQLite's own wait for a lock another connection holds: short, because
 * better-sqlite3 waits synchronously and blocks the whole event loop for it.
 * The longer wait happens in `_query`, asynchronously.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5;
const FIRST_RETRY_MS = 2;
const MAX_RETRY_MS = 50;

/**
 * `_query` is an internal of knex's better-sqlite3 dialect (knex documents
 * no way to wait for a busy database asynchronously): opening a SQLite
 * database fails with one line if a knex release no longer has it, rather
 * than running without the retry.
 */
export function checkSqliteDialect(dialect: { prototype: object }): void {
  if (typeof Reflect.get(dialect.prototype, '_query') !== 'function') {
    throw new Error("knex: the better-sqlite3 dialect's _query is missing; adapters/sqlite-client.ts was written for knex 3.3, where it runs one statement");
  }
}

/**
 * better-sqlite3 through knex, waiting for a busy database without freezing
 * the process: a statement refused with SQLITE_BUSY is run again after a
 * growing pause (2 ms doubling to 50 ms) until `busyTimeoutMs` has passed,
 * then the SQLITE_BUSY error is thrown (a 503 for the request).
 *
 * Only statements outside a transaction are retried, BEGIN included, as
 * SQLite's documentation allows; a transaction therefore starts with
 * BEGIN IMMEDIATE, so it waits for the write lock before its first statement
 * instead of failing halfway through on a lock it cannot get.
 */
export function busyRetryingSqliteClient(busyTimeoutMs: number): typeof Knex.Client {
  checkSqliteDialect(Client_BetterSQLite3);
  return class BusyRetryingSqliteClient extends Client_BetterSQLite3 {
    override async _query(connection: SqliteConnection, query: { sql: string }): Promise<unknown> {
      if (query.sql === 'BEGIN;') query.sql = 'BEGIN IMMEDIATE;';
      const deadline = performance.now() + busyTimeoutMs;
      for (let pause = FIRST_RETRY_MS; ; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
        try {
          return await super._query(connection, query);
        } catch (error) {
          if (!isSqliteBusy(error) || connection.inTransaction || performance.now() + pause > deadline) throw error;
          await sleep(pause);
        }
      }
    }
  };
}
