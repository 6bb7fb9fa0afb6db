import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TollgateError } from '../../src/errors.js';
import { toProviderMetadata } from '../../src/provider/registry-client-adapter.js';
import { createRegistry, type Registry } from '../../src/registry/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

const API = 'https://api.quota.test';

/** Asserts `action` is refused as invalid_request with a message matching `message`. */
async function refused(action: () => Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof TollgateError);
    assert.equal(error.error, 'invalid_request');
    assert.match(error.message, message);
    return true;
  });
}

for (const variant of databaseVariants) {
  describe(`token quotas in the registry (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new MigratedDatabaseFixture(variant.kind);
    let registry: Registry;
    let other: Registry;

    before(async () => {
      await fixture.open();
      registry = createRegistry(fixture.database.knex);
      // Another process: its own connection and cache.
      other = createRegistry(fixture.connect().knex);
      // Shared with every tenant: these suites are about quotas, not tenancy.
      await registry.resources.create({ audience: API, scopes: ['read'], shared_with: ['*'] });
    });
    after(() => fixture.close());

    const newClient = (tenant: string, extra: { token_quota?: string | null } = {}) =>
      registry.clients.create({ name: 'job', tenant, resources: [API], scopes: ['read'], ...extra });

    test('quotas are stored on create and update, shown on the client and in provider metadata, and cleared with null', async () => {
      const tenant = await registry.tenants.create({ slug: 'acme', name: 'Acme', token_quota: '10000/h' });
      assert.equal(tenant.tokenQuota, '10000/h');
      const { client } = await newClient('acme', { token_quota: '1000/h' });
      assert.equal(client.tokenQuota, '1000/h');
      assert.equal(client.tenantTokenQuota, '10000/h');

      const found = (await registry.clients.find(client.clientId))!;
      const metadata = toProviderMetadata(found);
      assert.equal(metadata['token_quota'], '1000/h');
      assert.equal(metadata['tenant_token_quota'], '10000/h');

      assert.equal((await registry.clients.update(client.clientId, { token_quota: '500/min' })).tokenQuota, '500/min');
      assert.equal((await registry.clients.update(client.clientId, { token_quota: null })).tokenQuota, null);
      assert.equal((await registry.tenants.update('acme', { token_quota: null })).tokenQuota, null);
      assert.equal((await registry.tenants.list()).find((row) => row.slug === 'acme')?.tokenQuota, null);
      const { client: unlimited } = await newClient('acme');
      assert.equal(unlimited.tokenQuota, null);
    });

    test('a bad quota is invalid_request naming the field; nothing is stored', async () => {
      await registry.tenants.create({ slug: 'globex', name: 'Globex' });
      await refused(() => newClient('globex', { token_quota: '1000/fortnight' }), /^token_quota must look like 1000\/h/);
      await refused(() => newClient('globex', { token_quota: '0/h' }), /^token_quota must look like/);
      await refused(() => registry.tenants.create({ slug: 'initech', name: 'Initech', token_quota: 'lots' }), /^token_quota must look like/);
      assert.equal(await registry.tenants.findBySlug('initech'), undefined);
      const { client } = await newClient('globex', { token_quota: '5/s' });
      await refused(() => registry.clients.update(client.clientId, { token_quota: '5/8d' }), /^token_quota must look like/);
      await refused(() => registry.clients.update(client.clientId, { tokenQuota: '5/h' } as never), /tokenQuota is not a recognised field/);
      assert.equal((await registry.clients.get(client.clientId)).tokenQuota, '5/s');
      await assert.rejects(() => registry.tenants.update('no-such-tenant', { token_quota: '1/h' }), /tenant no-such-tenant does not exist/);
    });

    test("a tenant's quota reaches its cached clients at once in this process and within the cache TTL in another", async () => {
      await registry.tenants.create({ slug: 'hooli', name: 'Hooli' });
      const { client } = await newClient('hooli');
      assert.equal((await registry.clients.find(client.clientId))?.tenantTokenQuota, null);
      assert.equal((await other.clients.find(client.clientId))?.tenantTokenQuota, null);

      await registry.tenants.update('hooli', { token_quota: '100/day' });
      assert.equal((await registry.clients.find(client.clientId))?.tenantTokenQuota, '100/day');
      const deadline = Date.now() + 2_000;
      while ((await other.clients.find(client.clientId))?.tenantTokenQuota !== '100/day') {
        assert.ok(Date.now() < deadline, 'another process sees the change within the registry cache TTL');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  });
}
