import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ADMIN_AUDIENCE } from '../../src/admin/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

const API = 'https://api.isolation.test';

for (const variant of databaseVariants) {
  describe(`admin API, a tenant admin of alpha against tenant beta (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let root: AdminSession;
    let alphaAdmin: AdminSession;
    let beta: { clientId: string; clientSecret: string; apiKeyId: string; apiKey: string; tenantId: string };

    before(async () => {
      server = await startTestServer(variant.kind);
      root = await adminSession(server);
      alphaAdmin = await adminSession(server, { tenant: 'alpha' });
      await adminSession(server, { tenant: 'beta' });
      await root.call('POST', '/resource-servers', { audience: API, scopes: ['read'], shared_with: ['alpha', 'beta'] });
      const client = await root.call('POST', '/clients', { name: 'beta-job', tenant: 'beta', resources: [API], scopes: ['read'] });
      const key = await root.call('POST', '/api-keys', { tenant: 'beta', name: 'beta-export', resources: [API], scopes: ['read'] });
      beta = {
        clientId: String(client.body['client_id']),
        clientSecret: String(client.body['client_secret']),
        apiKeyId: String(key.body['id']),
        apiKey: String(key.body['key']),
        tenantId: String(client.body['tenant_id']),
      };
      await root.call('POST', '/clients', { name: 'alpha-job', tenant: 'alpha', resources: [API], scopes: ['read'] });
      await root.call('POST', '/api-keys', { tenant: 'alpha', name: 'alpha-export', resources: [API], scopes: ['read'] });
    });
    after(() => server?.stop());

    test("lists hold only alpha's clients and API keys, whatever tenant filter is asked for", async () => {
      for (const path of ['/clients', '/clients?tenant=beta', `/clients?tenant=${beta.tenantId}`]) {
        const listed = await alphaAdmin.call('GET', path);
        assert.equal(listed.status, 200);
        assert.ok(listed.body.data!.every((client) => client['tenant_slug'] === 'alpha'), path);
      }
      assert.deepEqual((await alphaAdmin.call('GET', '/clients')).body.data!.map((client) => client['name']).sort(), ['alpha-admin', 'alpha-job']);
      for (const path of ['/api-keys', '/api-keys?tenant=beta']) {
        const listed = await alphaAdmin.call('GET', path);
        assert.ok(listed.body.data!.every((key) => key['tenant_slug'] === 'alpha'), path);
      }
      assert.equal((await alphaAdmin.call('GET', '/api-keys')).body.data!.length, 1);
    });

    test("beta's client and API key answer 404 to every read and change, as an unknown id does, and stay unchanged", async () => {
      const unknownClient = await alphaAdmin.call('GET', `/clients/${randomUUID()}`);
      assert.equal(unknownClient.status, 404);
      const operations: [string, string, unknown?][] = [
        ['GET', `/clients/${beta.clientId}`],
        ['PATCH', `/clients/${beta.clientId}`, { token_quota: '1/day' }],
        ['POST', `/clients/${beta.clientId}/disable`],
        ['POST', `/clients/${beta.clientId}/enable`],
        ['POST', `/clients/${beta.clientId}/rotate-secret`],
        ['POST', `/clients/${beta.clientId}/revoke-tokens`],
        ['GET', `/api-keys/${beta.apiKeyId}`],
        ['POST', `/api-keys/${beta.apiKeyId}/revoke`],
        ['POST', `/api-keys/${beta.apiKeyId}/rotate`, { overlap: '0' }],
        ['GET', '/tenants/beta'],
        ['GET', `/tenants/${beta.tenantId}`],
      ];
      for (const [method, path, body] of operations) {
        const answer = await alphaAdmin.call(method, path, body);
        assert.equal(answer.status, 404, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body['error'], 'not_found');
      }

      const row = await server.database.knex('clients').where({ client_id: beta.clientId }).first();
      assert.equal(Boolean(row.enabled), true);
      assert.equal(row.token_version, 0);
      assert.equal(row.token_quota, null);
      const token = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, beta);
      assert.equal(token.status, 200, 'the secret was not rotated');
      const key = await server.database.knex('api_keys').where({ id: beta.apiKeyId }).first();
      assert.equal(key.revoked_at, null);
      assert.equal(key.replaced_by, null);
    });

    test('creates go to alpha only: naming beta is answered like naming a tenant that does not exist', async () => {
      const before = await server.database.knex('clients').where({ tenant_id: beta.tenantId }).count({ n: '*' }).first();
      for (const tenant of ['beta', beta.tenantId]) {
        const client = await alphaAdmin.call('POST', '/clients', { name: 'intruder', tenant, resources: [API], scopes: ['read'] });
        assert.equal(client.status, 400);
        assert.equal(client.body['error_description'], `tenant ${tenant} does not exist`);
        const key = await alphaAdmin.call('POST', '/api-keys', { name: 'intruder', tenant, resources: [API], scopes: ['read'] });
        assert.equal(key.status, 400);
      }
      const nowhere = await alphaAdmin.call('POST', '/clients', { name: 'x', tenant: 'no-such-tenant', resources: [API], scopes: ['read'] });
      assert.equal(nowhere.body['error_description'], 'tenant no-such-tenant does not exist');
      const afterwards = await server.database.knex('clients').where({ tenant_id: beta.tenantId }).count({ n: '*' }).first();
      assert.deepEqual(afterwards, before);

      const own = await alphaAdmin.call('POST', '/clients', { name: 'alpha-new', resources: [API], scopes: ['read'] });
      assert.equal(own.status, 201);
      assert.equal(own.body['tenant_slug'], 'alpha');
      const ownKey = await alphaAdmin.call('POST', '/api-keys', { name: 'alpha-new', resources: [API], scopes: ['read'] });
      assert.equal(ownKey.body['tenant_slug'], 'alpha');
    });

    test('a tenant admin may create tenant admins of their tenant but never a global admin', async () => {
      const escalate = await alphaAdmin.call('POST', '/clients', { name: 'root', resources: [ADMIN_AUDIENCE], scopes: ['tollgate:admin'] });
      assert.equal(escalate.status, 403);
      assert.equal(escalate.body['error'], 'insufficient_scope');
      // Nor one that could trade its own token for a global admin token (RFC 8693 exchange).
      const exchanger = await alphaAdmin.call('POST', '/clients', {
        name: 'exchanger', resources: [API], scopes: ['read'],
        token_exchange: { audiences: [ADMIN_AUDIENCE], scopes: ['tollgate:admin'] },
      });
      assert.equal(exchanger.status, 403);
      assert.equal(exchanger.body['error'], 'insufficient_scope');
      const peer = await alphaAdmin.call('POST', '/clients', { name: 'peer', resources: [ADMIN_AUDIENCE], scopes: ['tollgate:tenant-admin'] });
      assert.equal(peer.status, 201);
    });

    test('global objects: tenants, sharing resource servers and signing keys are 403 for a tenant admin (reads and own resource servers excepted)', async () => {
      const refused: [string, string, unknown?][] = [
        ['POST', '/tenants', { slug: 'gamma', name: 'Gamma' }],
        ['PATCH', '/tenants/alpha', { token_quota: '1000000/h' }],
        ['POST', '/resource-servers', { audience: 'https://evil.test', scopes: ['x'], shared_with: ['beta'] }],
        ['POST', '/resource-servers/some-id/share', { shared_with: ['alpha'] }],
        ['GET', '/signing-keys'],
        ['POST', '/signing-keys/rotate', {}],
        ['POST', '/signing-keys/some-kid/revoke'],
      ];
      for (const [method, path, body] of refused) {
        const answer = await alphaAdmin.call(method, path, body);
        assert.equal(answer.status, 403, `${method} ${path}`);
        assert.equal(answer.body['error'], 'insufficient_scope');
        assert.match(String(answer.headers.get('www-authenticate')), /error="insufficient_scope"/);
      }
      assert.equal((await server.registry.tenants.findBySlug('gamma')), undefined);
      assert.deepEqual((await alphaAdmin.call('GET', '/tenants')).body.data!.map((tenant) => tenant['slug']), ['alpha']);
      assert.equal((await alphaAdmin.call('GET', '/resource-servers')).status, 200);
    });

    test("audit events: only alpha's, and asking for beta's is refused", async () => {
      const events = await alphaAdmin.call('GET', '/audit-events?limit=100');
      assert.equal(events.status, 200);
      assert.ok(events.body.data!.length > 0);
      assert.ok(events.body.data!.every((event) => event['tenant_id'] === alphaAdmin.tenantId));
      assert.equal((await alphaAdmin.call('GET', `/audit-events?subject=${beta.clientId}`)).body.data!.length, 0);
      assert.equal((await alphaAdmin.call('GET', '/audit-events?tenant=beta')).status, 400);
    });
  });
}
