import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Client_BetterSQLite3 from 'knex/lib/dialects/better-sqlite3/index.js';
import { checkSqliteDialect } from '../../adapters/sqlite-client.js';

describe("the knex internal the SQLite client overrides", () => {
  test('the installed knex has it', () => {
    assert.doesNotThrow(() => checkSqliteDialect(Client_BetterSQLite3));
  });

  test('a dialect without it is refused in one line naming it and the knex it was written for', () => {
    class Moved {}
    assert.throws(() => checkSqliteDialect(Moved), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^knex: the better-sqlite3 dialect's _query is missing; .* written for knex 3\.3/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });
});
