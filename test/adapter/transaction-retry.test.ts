import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inTransaction } from '../../adapters/database.js';
import { databaseVariants } from '../helpers/databases.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

const lostRace = (code: string) => Object.assign(new Error('could not serialize access'), { code });

for (const variant of databaseVariants) {
  describe(`transactions that lose a race are run again (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new MigratedDatabaseFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());

    test('a serialization failure (40001) rolls back and retries; the write lands once', async () => {
      const { knex } = fixture.database;
      let attempts = 0;
      await inTransaction(knex, async (trx) => {
        attempts += 1;
        await trx('audit_events').insert({ at: 1, type: 'key.rotated', actor: 'retry-test' });
        if (attempts < 3) throw lostRace(attempts === 1 ? '40001' : '40P01');
      });
      assert.equal(attempts, 3);
      const rows = await knex('audit_events').where({ actor: 'retry-test' });
      assert.equal(rows.length, 1);
    });

    test('other errors, and a race lost too often, reach the caller', async () => {
      const { knex } = fixture.database;
      let attempts = 0;
      await assert.rejects(inTransaction(knex, async () => {
        attempts += 1;
        throw Object.assign(new Error('unique violation'), { code: '23505' });
      }), /unique violation/);
      assert.equal(attempts, 1);
      attempts = 0;
      await assert.rejects(inTransaction(knex, async () => {
        attempts += 1;
        throw lostRace('40001');
      }, 4), /could not serialize/);
      assert.equal(attempts, 4);
    });
  });
}
