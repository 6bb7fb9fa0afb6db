import { createRequire } from 'node:module';
import { BaseError } from '../errors/base-error.js';
import { isSqliteBusy } from './database-errors.js';
import { preparePrivateSqliteFile } from './private-files.js';

/** What this module needs of a better-sqlite3 connection (the package ships no types). */
interface LockConnection {
  exec(sql: string): void;
  close(): void;
}

const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as new (filename: string, options: { timeout: number }) => LockConnection;

/** A second server was started on a SQLite file a running one already serves. */
export class DatabaseInUseError extends BaseError<'ERR_DATABASE_IN_USE'> {
  override readonly name = 'DatabaseInUseError';

  constructor(message: string) {
    super('ERR_DATABASE_IN_USE', message);
  }
}

interface Held {
  readonly connection: LockConnection;
  holders: number;
}

/** Lock files this process holds, by path: servers of one process (tests) share one. */
const held = new Map<string, Held>();

/**
 * Makes `databaseFile` one process's: holds a write transaction on
 * `<databaseFile>.lock`, a small SQLite file of its own, for as long as the
 * returned release function is not called. SQLite's file locks belong to the
 * process and the operating system drops them when it exits, however it
 * exits, so a crashed server never leaves a stale lock behind. A second
 * process asking for the same file gets a DatabaseInUseError at once.
 */
export function lockForThisProcess(databaseFile: string): () => void {
  const lockFile = `${databaseFile}.lock`;
  let entry = held.get(lockFile);
  if (!entry) {
    preparePrivateSqliteFile(lockFile);
    const connection = new BetterSqlite3(lockFile, { timeout: 0 });
    try {
      connection.exec('BEGIN IMMEDIATE');
    } catch (error) {
      connection.close();
      if (!isSqliteBusy(error)) throw error;
      throw new DatabaseInUseError(
        `${databaseFile} is in use by another Tollgate process (lock file ${lockFile}): SQLite serves one process; stop the other one, or use PostgreSQL (DATABASE_URL=postgres://…) for several`,
      );
    }
    entry = { connection, holders: 0 };
    held.set(lockFile, entry);
  }
  entry.holders += 1;
  const owned = entry;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    owned.holders -= 1;
    if (owned.holders > 0) return;
    held.delete(lockFile);
    owned.connection.exec('ROLLBACK');
    owned.connection.close();
  };
}
