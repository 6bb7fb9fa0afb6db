// knex ships no declarations for its dialect classes; this one is extended
// by sqlite-client.ts, which overrides only `_query`.
declare module 'knex/lib/dialects/better-sqlite3/index.js' {
  import type { Knex } from 'knex';

  export default class Client_BetterSQLite3 extends Knex.Client {
    /** Runs one compiled query on a better-sqlite3 connection. */
    _query(connection: unknown, query: { sql: string }): Promise<unknown>;
  }
}
