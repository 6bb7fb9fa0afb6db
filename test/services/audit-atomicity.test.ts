import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { ApiKeyRepository } from '../../src/api-keys/index.js';
import { createRegistry } from '../../src/registry/index.js';
import { adminActor, CLI_ACTOR, createServices, type Services } from '../../src/services/index.js';
import { UserRepository } from '../../src/users/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

const API = 'https://api.acme.test';
const PASSWORD = 'correct horse battery staple';

/** Makes every insert into audit_events fail, as a full disk or a lost connection would fail it mid-change. */
async function refuseAuditRows(knex: Knex, kind: 'sqlite' | 'postgres'): Promise<void> {
  if (kind === 'sqlite') {
    await knex.raw("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END");
    return;
  }
  await knex.raw("CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql");
  await knex.raw('CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()');
}

async function allowAuditRows(knex: Knex, kind: 'sqlite' | 'postgres'): Promise<void> {
  await knex.raw(kind === 'sqlite' ? 'DROP TRIGGER refuse_audit' : 'DROP TRIGGER refuse_audit ON audit_events');
}

for (const variant of databaseVariants) {
  describe(`services: a change and its audit event commit together or not at all (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new MigratedDatabaseFixture(variant.kind);
    let knex: Knex;
    let services: Services;
    let users: UserRepository;
    const ids = { client: '', apiKey: '', user: '', tenant: '' };
    /** Everything the changes below could touch, as rows: equal before and after a refused change. */
    const state = async () => ({
      tenants: await knex('tenants').orderBy('id'),
      resources: await knex('resource_servers').orderBy('id'),
      clients: await knex('clients').orderBy('client_id'),
      appClients: await knex('app_clients').orderBy('client_id'),
      apiKeys: await knex('api_keys').orderBy('id'),
      users: await knex('users').orderBy('id'),
      audit: await knex('audit_events').orderBy('id'),
    });

    before(async () => {
      await fixture.open();
      knex = fixture.database.knex;
      const registry = createRegistry(knex);
      users = new UserRepository(knex, registry.tenants);
      services = createServices({ registry, users, apiKeys: new ApiKeyRepository(knex, registry, { cacheTtlMs: 0 }) });
      ids.tenant = (await services.tenants.create(CLI_ACTOR, { slug: 'acme', name: 'Acme' })).id;
      await services.resources.create(CLI_ACTOR, { audience: API, scopes: ['read'], tenant: 'acme' });
      ids.client = (await services.clients.create(CLI_ACTOR, { name: 'job', tenant: 'acme', resources: [API], scopes: ['read'] })).client.clientId;
      ids.apiKey = (await services.apiKeys.create(CLI_ACTOR, { tenant: 'acme', name: 'export', resources: [API], scopes: ['read'] })).apiKey.id;
      ids.user = (await services.users.create(CLI_ACTOR, { tenant: 'acme', email: 'ada@acme.test', password: PASSWORD })).user.id;
    });
    after(() => fixture.close());

    test('with the audit insert failing, every change is refused and leaves no row changed', async () => {
      const admin = adminActor({ clientId: 'admin-client', tenantId: ids.tenant, global: false });
      const changes: [string, () => Promise<unknown>][] = [
        ['tenants.create', () => services.tenants.create(CLI_ACTOR, { slug: 'globex', name: 'Globex' })],
        ['tenants.update', () => services.tenants.update(CLI_ACTOR, 'acme', { token_quota: '10/h' })],
        ['resources.create', () => services.resources.create(CLI_ACTOR, { audience: 'https://other.acme.test', scopes: ['read'] })],
        ['resources.share', () => services.resources.share(CLI_ACTOR, API, { shared_with: ['*'] })],
        ['clients.create', () => services.clients.create(admin, { name: 'new', tenant: ids.tenant, resources: [API], scopes: ['read'] })],
        ['clients.createApp', () => services.clients.createApp(CLI_ACTOR, { name: 'app', tenant: 'acme', resources: [API], scopes: ['read'], redirect_uris: ['https://app.acme.test/cb'] })],
        ['clients.update', () => services.clients.update(admin, ids.client, { token_quota: '5/min' })],
        ['clients.setEnabled', () => services.clients.setEnabled(CLI_ACTOR, ids.client, false)],
        ['clients.rotateSecret', () => services.clients.rotateSecret(admin, ids.client)],
        ['clients.revokeTokens', () => services.clients.revokeTokens(CLI_ACTOR, ids.client)],
        ['apiKeys.create', () => services.apiKeys.create(admin, { tenant: ids.tenant, name: 'new', resources: [API], scopes: ['read'] })],
        ['apiKeys.rotate', () => services.apiKeys.rotate(CLI_ACTOR, ids.apiKey, 60)],
        ['apiKeys.revoke', () => services.apiKeys.revoke(admin, ids.apiKey)],
        ['users.create', () => services.users.create(admin, { tenant: ids.tenant, email: 'bob@acme.test' })],
        ['users.setEnabled', () => services.users.setEnabled(CLI_ACTOR, ids.user, false)],
        ['users.setPassword', () => services.users.setPassword(admin, ids.user, 'another long password')],
      ];
      const unchanged = await state();
      await refuseAuditRows(knex, variant.kind);
      try {
        for (const [name, change] of changes) {
          await assert.rejects(change(), /audit refused/, name);
          assert.deepEqual(await state(), unchanged, `${name} left a change behind`);
        }
      } finally {
        await allowAuditRows(knex, variant.kind);
      }
      // The same change goes through once the audit log takes rows again: the refusal above was the audit insert's.
      await services.clients.setEnabled(CLI_ACTOR, ids.client, false);
      const [event] = await knex('audit_events').where({ type: 'client.disabled', subject: ids.client });
      assert.equal(event.actor, 'cli');
      assert.equal((await knex('clients').where({ client_id: ids.client }).first()).enabled ? 1 : 0, 0);
    });
  });
}
