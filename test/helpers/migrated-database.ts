import { migrate, openDatabase, type Database, type DatabaseKind } from '../../adapters/database.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/**
 * A migrated database of its own for one suite, with extra connections on
 * demand (each one a separate pool: another process, as far as locking and
 * caches go). Suites that test a module without the server extend this.
 */
export class MigratedDatabaseFixture {
  #testDatabase: TestDatabase | undefined;
  #databases: Database[] = [];

  constructor(readonly kind: DatabaseKind) {}

  /** The first connection. */
  get database(): Database {
    const database = this.#databases[0];
    if (!database) throw new Error('fixture is not open');
    return database;
  }

  async open(): Promise<void> {
    this.#testDatabase = await createTestDatabase(this.kind);
    await migrate(this.connect());
  }

  connect(): Database {
    if (!this.#testDatabase) throw new Error('fixture is not open');
    const database = openDatabase(this.#testDatabase.url);
    this.#databases.push(database);
    return database;
  }

  async close(): Promise<void> {
    await Promise.all(this.#databases.map((database) => database.close()));
    await this.#testDatabase?.drop();
  }
}
