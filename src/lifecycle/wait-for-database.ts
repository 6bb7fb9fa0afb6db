import { resolve } from 'node:path';
import { openDatabase, type Database, type DatabaseOptions } from '../../adapters/database.js';
import { DatabaseInUseError } from '../../adapters/sqlite-process-lock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { databaseAddress, databaseStartupError, isDatabaseUnreachable, StartupError } from './start-up-errors.js';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 8_000;

export interface WaitForDatabaseOptions {
  readonly databaseUrl: string;
  /** Give up after this long (TOLLGATE_DATABASE_START_TIMEOUT); 0: try once. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => number;
}

/**
 * Start-up's first query. A database that is not reachable yet (a container
 * started beside it, a failover in progress) is retried with doubling
 * back-off, each retry logged once, until `timeoutMs`; anything else (a
 * wrong password, a file that cannot be opened) fails at once. Either way
 * the failure is one StartupError line naming the host or the file.
 */
export async function waitForDatabase(database: Database, options: WaitForDatabaseOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const clock = options.clock ?? Date.now;
  const started = clock();
  for (let delayMs = FIRST_RETRY_MS; ; delayMs = Math.min(delayMs * 2, MAX_RETRY_MS)) {
    try {
      await database.knex.raw('select 1');
      return;
    } catch (error) {
      if (database.kind !== 'postgres' || !isDatabaseUnreachable(error)) throw databaseStartupError(error, options.databaseUrl, (file) => resolve(file));
      const left = started + options.timeoutMs - clock();
      const address = databaseAddress(options.databaseUrl);
      if (left <= 0) {
        throw new StartupError(
          `database not reachable at ${address} after ${Math.round(options.timeoutMs / 1000)} s (${(error as Error).message}); TOLLGATE_DATABASE_START_TIMEOUT sets how long to wait`,
          { cause: error },
        );
      }
      const waitMs = Math.min(delayMs, left);
      options.logger.warn(`database not reachable at ${address}, retrying in ${Math.ceil(waitMs / 1000)} s`, { error: (error as Error).message });
      await sleep(waitMs);
    }
  }
}

/**
 * `serve`'s database: opened, and reached (waitForDatabase) before it is
 * returned. knex's own warnings are logged only from then on: before, a
 * failure is the one StartupError line, not a JSON line carrying a stack.
 */
export async function openDatabaseAtStart(config: Config, logger: Logger, options: Omit<DatabaseOptions, 'log' | 'timeoutMs'> = {}): Promise<Database> {
  let reached = false;
  let database: Database;
  try {
    database = openDatabase(config.databaseUrl, {
      log: (level, message) => {
        if (reached) logger[level]('database', { detail: message });
      },
      timeoutMs: config.databaseTimeoutMs,
      ...options,
    });
  } catch (error) {
    // Already one line naming the file and what to do.
    if (error instanceof DatabaseInUseError) throw error;
    // A sqlite: path whose directory cannot be created.
    throw databaseStartupError(error, config.databaseUrl, (file) => resolve(file));
  }
  try {
    await waitForDatabase(database, { databaseUrl: config.databaseUrl, timeoutMs: config.databaseStartTimeoutSeconds * 1000, logger });
  } catch (error) {
    await database.close();
    throw error;
  }
  reached = true;
  return database;
}
