import type { Knex } from 'knex';
import { inTransaction } from '../../adapters/database.js';

/**
 * Runs inside the transaction of a repository's write, after the write:
 * what it writes through `db` commits with the change, and a throw rolls the
 * change back. The services (src/services) write their audit row here, so a
 * change and its audit event exist together or not at all. `db` is the
 * transaction: on SQLite it holds the only connection, so everything the
 * hook reads or writes must go through it.
 */
export type WithinWrite<T> = (db: Knex, written: T) => Promise<void>;

/**
 * `write` and then `within` in one transaction. Validation, reads and argon2
 * hashing happen before this is called, so the transaction (and on SQLite
 * the one connection) is held only for the statements themselves.
 */
export function writeWith<T>(knex: Knex, write: (db: Knex) => Promise<T>, within?: WithinWrite<T>): Promise<T> {
  return inTransaction(knex, async (db) => {
    const written = await write(db);
    await within?.(db, written);
    return written;
  });
}
