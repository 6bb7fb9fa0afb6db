import { randomBytes } from 'node:crypto';
import { migrate, openDatabase, type Database, type DatabaseKind } from '../../adapters/database.js';
import { KeyStore, type KeyStoreOptions } from '../../keys/key-store.js';
import type { SigningKeyRow } from '../../keys/rotation.js';
import { createSealer } from '../../keys/seal.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

export const RETIRE_AFTER_MS = 20 * 60_000;
export const START = Date.UTC(2025, 0, 1);

export const newSecret = (): string => randomBytes(32).toString('base64url');

/** One migrated database per suite, emptied before each test, with a clock tests move by hand. */
export class KeyStoreFixture {
  readonly clock = { now: START };
  readonly secret = newSecret();
  #testDatabase: TestDatabase | undefined;
  #databases: Database[] = [];

  constructor(readonly kind: DatabaseKind) {}

  get database(): Database {
    const database = this.#databases[0];
    if (!database) throw new Error('fixture is not open');
    return database;
  }

  async open(): Promise<void> {
    this.#testDatabase = await createTestDatabase(this.kind);
    await migrate(this.connect());
  }

  /** A new connection (pool) to the same database: another process, as far as locking goes. */
  connect(): Database {
    if (!this.#testDatabase) throw new Error('fixture is not open');
    const database = openDatabase(this.#testDatabase.url);
    this.#databases.push(database);
    return database;
  }

  async reset(): Promise<void> {
    this.clock.now = START;
    await this.database.knex('signing_keys').delete();
  }

  async close(): Promise<void> {
    await Promise.all(this.#databases.map((database) => database.close()));
    await this.#testDatabase?.drop();
  }

  keyStore(options: Partial<KeyStoreOptions> & { secrets?: string[]; database?: Database } = {}): KeyStore {
    const { secrets = [this.secret], database = this.database, ...rest } = options;
    return new KeyStore(database.knex, createSealer(secrets), {
      retireAfterMs: RETIRE_AFTER_MS,
      clock: () => this.clock.now,
      ...rest,
    });
  }

  async rows(): Promise<SigningKeyRow[]> {
    return this.database.knex<SigningKeyRow>('signing_keys').orderBy('created_at').orderBy('kid');
  }

  async row(kid: string): Promise<SigningKeyRow> {
    const row = await this.database.knex<SigningKeyRow>('signing_keys').where({ kid }).first();
    if (!row) throw new Error(`no row for ${kid}`);
    return row;
  }

  async kidsIn(state: string): Promise<string[]> {
    return this.database.knex('signing_keys').where({ state }).orderBy('kid').pluck('kid');
  }
}
