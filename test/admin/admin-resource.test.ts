import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_AUDIENCE, ensureAdminResource } from '../../src/admin/index.js';
import { createRegistry } from '../../src/registry/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

for (const variant of databaseVariants) {
  describe(`the admin API's resource server (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new MigratedDatabaseFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());

    test('processes starting together all find one admin resource server', async () => {
      // A connection each on PostgreSQL, as separate processes have (SQLite has one writer anyway).
      const connections = variant.kind === 'postgres' ? Array.from({ length: 4 }, () => fixture.connect()) : [fixture.database];
      const results = await Promise.allSettled(connections.flatMap((connection) => [0, 1].map(() => ensureAdminResource(createRegistry(connection.knex)))));
      assert.deepEqual(results.filter((result) => result.status === 'rejected').map((result) => String((result as PromiseRejectedResult).reason)), []);
      const rows = await fixture.database.knex('resource_servers').where({ audience: ADMIN_AUDIENCE });
      assert.equal(rows.length, 1);
    });
  });
}
