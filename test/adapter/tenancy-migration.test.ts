import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, migrate, type Database } from '../../adapters/database.js';
import { migrationSource, type Migration } from '../../adapters/migrations/index.js';
import { createTestDatabase, databaseVariants, type TestDatabase } from '../helpers/databases.js';

const MIGRATION = '011-tenancy-resource-owners';
const now = Date.UTC(2025, 0, 1);

/** Applies every migration listed before MIGRATION, so rows can be written as an older release wrote them. */
async function migrateUpTo(database: Database): Promise<void> {
  for (;;) {
    const [, pending] = (await database.knex.migrate.list({ migrationSource })) as [unknown[], Migration[]];
    if (!pending.length) throw new Error(`${MIGRATION} is not registered`);
    if (pending[0]!.name === MIGRATION) return;
    await database.knex.migrate.up({ migrationSource });
  }
}

for (const variant of databaseVariants) {
  describe(`migration ${MIGRATION}: existing resource servers and API keys (${variant.kind})`, { skip: variant.skip, timeout: 60_000 }, () => {
    let testDatabase: TestDatabase;
    let database: Database;

    before(async () => {
      testDatabase = await createTestDatabase(variant.kind);
      database = openDatabase(testDatabase.url);
      await migrateUpTo(database);
      const { knex } = database;
      await knex('tenants').insert(['acme', 'globex', 'initech'].map((slug) => ({ id: `t-${slug}`, slug, name: slug, created_at: now, updated_at: now })));
      const resource = (audience: string, scopes: string[]) => ({ id: `r-${audience}`, audience, name: null, scopes: JSON.stringify(scopes), access_token_ttl: null, token_format: 'jwt', created_at: now, updated_at: now });
      await knex('resource_servers').insert([
        resource('https://api.acme.test', ['read', 'write']),
        resource('https://api.globex.test', ['write:secrets']),
        resource('https://unused.test', ['read']),
        resource('urn:tollgate:admin', ['tollgate:admin', 'tollgate:tenant-admin']),
      ]);
      const client = (id: string, tenant: string, resources: string[], exchange?: { audiences: string[]; scopes: string[] }) => ({
        client_id: id, tenant_id: tenant, name: id, secret_hash: '', roles: '[]', scopes: '[]', resources: JSON.stringify(resources),
        token_exchange: exchange ? JSON.stringify(exchange) : null, created_at: now, updated_at: now,
      });
      await knex('clients').insert([
        client('c1', 't-acme', ['https://api.acme.test', 'urn:tollgate:admin']),
        client('c2', 't-globex', ['https://api.globex.test']),
        client('c3', 't-globex', ['https://api.globex.test'], { audiences: ['https://api.acme.test'], scopes: ['read'] }),
      ]);
      const key = (id: string, tenant: string, scopes: string[]) => ({
        id, tenant_id: tenant, env: 'live', name: id, scopes: JSON.stringify(scopes), secret_hash: 'x', created_at: now,
      });
      await knex('api_keys').insert([
        key('k-acme', 't-acme', ['read']),
        key('k-globex', 't-globex', ['write:secrets', 'read']),
        key('k-escalated', 't-acme', ['tollgate:admin', 'write:secrets', 'anything:at:all']),
      ]);
      await migrate(database);
    });
    after(async () => {
      await database?.close();
      await testDatabase?.drop();
    });

    test('each existing resource server stays owner-less and is shared with the tenants whose clients use it', async () => {
      const rows: { audience: string; tenant_id: string | null; shared_with: string }[] = await database.knex('resource_servers').select('audience', 'tenant_id', 'shared_with').orderBy('audience');
      assert.deepEqual(rows.map((row) => [row.audience, row.tenant_id, JSON.parse(row.shared_with)]), [
        // globex's c3 may exchange tokens for it: that is a use too.
        ['https://api.acme.test', null, ['t-acme', 't-globex']],
        ['https://api.globex.test', null, ['t-globex']],
        ['https://unused.test', null, []],
        ['urn:tollgate:admin', null, ['*']],
      ]);
    });

    test("each existing API key gets the audiences its tenant may use that offer its scopes; an escalated key gets none", async () => {
      const rows: { id: string; resources: string }[] = await database.knex('api_keys').select('id', 'resources').orderBy('id');
      assert.deepEqual(Object.fromEntries(rows.map((row) => [row.id, JSON.parse(row.resources)])), {
        'k-acme': ['https://api.acme.test'],
        // Its `read` is offered by api.acme.test, which globex uses (token exchange): both.
        'k-escalated': [],
        'k-globex': ['https://api.acme.test', 'https://api.globex.test'],
      });
    });

    test('clients start with no introspection audiences', async () => {
      const rows: { introspect_audiences: string | null }[] = await database.knex('clients').select('introspect_audiences');
      assert.deepEqual(rows.map((row) => row.introspect_audiences), [null, null, null]);
    });
  });
}
