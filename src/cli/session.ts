import { existsSync } from 'node:fs';
import { migrate, openDatabase, type Database } from '../../adapters/database.js';
import { AuditLog } from '../audit/audit-log.js';
import { loadConfig, type Config } from '../config.js';
import { fileSecretSource } from '../dev-secret.js';
import { createRegistry } from '../registry/index.js';
import type { BaseContext, Session } from './command.js';
import { writeLine, type CliIo } from './io.js';

/**
 * What one `main` call opens, opened when a command first asks and closed
 * by `close()`: nothing outlives the call, so calls in one process (tests)
 * share no state.
 */
export class Invocation implements Session {
  #config: Config | undefined;
  #database: Database | undefined;
  #context: Promise<BaseContext> | undefined;
  #audit: AuditLog | undefined;

  constructor(readonly io: CliIo) {}

  config(): Config {
    this.#config ??= loadConfig(this.io.env, fileSecretSource);
    return this.#config;
  }

  database(): Database {
    if (!this.#database) {
      const config = this.config();
      this.#announceDefaultDatabase(config);
      this.#database = openDatabase(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs });
    }
    return this.#database;
  }

  context(): Promise<BaseContext> {
    this.#context ??= this.#open();
    return this.#context;
  }

  async #open(): Promise<BaseContext> {
    const database = this.database();
    await migrate(database);
    this.#audit = new AuditLog(database.knex, { onError: (error) => writeLine(this.io.stderr, `tollgate: audit event not recorded: ${(error as Error).message}`) });
    return { config: this.config(), database, registry: createRegistry(database.knex), audit: this.#audit, io: this.io };
  }

  /** Waits for audit events still being written, then closes the database. */
  async close(): Promise<void> {
    try {
      await this.#audit?.settled();
    } finally {
      await this.#database?.close();
    }
  }

  /**
   * Names the database a command uses when the user did not (DATABASE_URL
   * unset), and says so when that means creating a new, empty one: on stderr,
   * so `--json` output stays clean.
   */
  #announceDefaultDatabase(config: Config): void {
    if (!config.databaseUrlDefaulted) return;
    const file = config.databaseUrl.slice('sqlite:'.length);
    writeLine(this.io.stderr, existsSync(file)
      ? `tollgate: using ${file} (DATABASE_URL is not set)`
      : `tollgate: no database at ${file} yet: creating a new, empty one (DATABASE_URL is not set)`);
  }
}
