import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_AUDIENCE } from '../../src/admin/index.js';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

const GLOBEX_API = 'https://api.globex.test';
const ACME_API = 'https://api.acme.test';
const sqlite = databaseVariants.find((variant) => variant.kind === 'sqlite')!;

/**
 * Issue 16.6: scopes belong to tenants. A resource server is a tenant's own
 * or shared with named tenants by a global admin; a tenant admin grants
 * only scopes of resource servers its tenant may use, to clients and API
 * keys alike, and never `tollgate:admin`.
 */
describe('resource servers owned by tenants: cross-tenant grants refused (issue 16.6)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let root: AdminSession;
  let acmeAdmin: AdminSession;
  let globexAdmin: AdminSession;
  const { tollgate, json } = cliFor(() => server);

  before(async () => {
    server = await startTestServer(sqlite.kind);
    root = await adminSession(server);
    acmeAdmin = await adminSession(server, { tenant: 'acme' });
    globexAdmin = await adminSession(server, { tenant: 'globex' });
    const created = await globexAdmin.call('POST', '/resource-servers', { audience: GLOBEX_API, scopes: ['write:secrets'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body['tenant_id'], globexAdmin.tenantId);
    assert.deepEqual(created.body['shared_with'], []);
  });
  after(() => server?.stop());

  test("a tenant admin cannot give its client another tenant's resource server or scopes", async () => {
    const client = await acmeAdmin.call('POST', '/clients', { name: 'thief', resources: [GLOBEX_API], scopes: ['write:secrets'] });
    assert.equal(client.status, 400);
    assert.equal(client.body['error'], 'invalid_request');
    assert.match(String(client.body['error_description']), /resource https:\/\/api\.globex\.test is not a resource server of this tenant or shared with it/);

    const exchange = await acmeAdmin.call('POST', '/clients', {
      name: 'exchanger', resources: [ADMIN_AUDIENCE], scopes: [], token_exchange: { audiences: [GLOBEX_API], scopes: ['write:secrets'] },
    });
    assert.equal(exchange.status, 400);
    assert.match(String(exchange.body['error_description']), /token_exchange audience https:\/\/api\.globex\.test is not a resource server of this tenant/);
    assert.equal((await server.registry.clients.list({ tenant: 'acme' })).filter((row) => row.name !== 'acme-admin').length, 0);
  });

  test("a tenant admin's API key must name a resource server its tenant may use, its scopes must be offered there, and never tollgate:admin", async () => {
    const escalated = await acmeAdmin.call('POST', '/api-keys', {
      name: 'escalated', resources: [GLOBEX_API], scopes: ['tollgate:admin', 'write:secrets', 'anything:at:all'], expires_in: 'never',
    });
    assert.equal(escalated.status, 403);
    assert.equal(escalated.body['error'], 'insufficient_scope');

    const foreign = await acmeAdmin.call('POST', '/api-keys', { name: 'foreign', resources: [GLOBEX_API], scopes: ['write:secrets'] });
    assert.equal(foreign.status, 400);
    assert.match(String(foreign.body['error_description']), /resource https:\/\/api\.globex\.test is not a resource server of this tenant/);

    const noResource = await acmeAdmin.call('POST', '/api-keys', { name: 'nowhere', scopes: ['anything:at:all'] });
    assert.equal(noResource.status, 400);
    assert.match(String(noResource.body['error_description']), /resources is required/);

    assert.equal((await acmeAdmin.call('POST', '/resource-servers', { audience: ACME_API, scopes: ['read'] })).status, 201);
    const unoffered = await acmeAdmin.call('POST', '/api-keys', { name: 'unoffered', resources: [ACME_API], scopes: ['read', 'anything:at:all'] });
    assert.equal(unoffered.status, 400);
    assert.match(String(unoffered.body['error_description']), /scope anything:at:all is not offered by its resource servers/);

    const adminKey = await root.call('POST', '/api-keys', { tenant: 'acme', name: 'admin-key', resources: [ADMIN_AUDIENCE], scopes: ['tollgate:tenant-admin'] });
    assert.equal(adminKey.status, 400);
    assert.match(String(adminKey.body['error_description']), /the admin API accepts access tokens only/);

    const good = await acmeAdmin.call('POST', '/api-keys', { name: 'good', resources: [ACME_API], scopes: ['read'] });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    assert.deepEqual(good.body['resources'], [ACME_API]);
    assert.equal((await acmeAdmin.call('GET', '/api-keys')).body.data!.length, 1);
  });

  test('a tenant admin registers only its own resource servers, sees only those it may use, and cannot share', async () => {
    const shared = await acmeAdmin.call('POST', '/resource-servers', { audience: 'https://wide.acme.test', scopes: ['read'], shared_with: ['globex'] });
    assert.equal(shared.status, 403);
    const listed = (await acmeAdmin.call('GET', '/resource-servers')).body.data!.map((row) => row['audience']);
    assert.ok(listed.includes(ACME_API) && listed.includes(ADMIN_AUDIENCE), JSON.stringify(listed));
    assert.ok(!listed.includes(GLOBEX_API), JSON.stringify(listed));
    const globexId = (await root.call('GET', '/resource-servers')).body.data!.find((row) => row['audience'] === GLOBEX_API)!['id'];
    assert.equal((await acmeAdmin.call('POST', `/resource-servers/${String(globexId)}/share`, { shared_with: ['acme'] })).status, 403);
  });

  test('once a global admin shares a resource server with acme, acme may use it; withdrawn, tokens for it stop', async () => {
    const globexId = String((await root.call('GET', '/resource-servers')).body.data!.find((row) => row['audience'] === GLOBEX_API)!['id']);
    const shared = await root.call('POST', `/resource-servers/${globexId}/share`, { shared_with: ['acme'] });
    assert.equal(shared.status, 200);
    assert.deepEqual(shared.body['shared_with'], [acmeAdmin.tenantId]);
    await server.audit.settled();
    const event = await server.database.knex('audit_events').where({ type: 'resource.shared', subject: GLOBEX_API }).first();
    assert.ok(event, 'resource.shared is audited');
    assert.deepEqual(JSON.parse(event.detail), {
      'sharedWith.before': '', 'sharedWith.after': acmeAdmin.tenantId, actor_tenant_id: root.tenantId, via: 'admin_api',
    });

    const client = await acmeAdmin.call('POST', '/clients', { name: 'partner', resources: [GLOBEX_API], scopes: ['write:secrets'] });
    assert.equal(client.status, 201, JSON.stringify(client.body));
    const credentials = { clientId: String(client.body['client_id']), clientSecret: String(client.body['client_secret']) };
    const token = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: GLOBEX_API, scope: 'write:secrets' }, credentials);
    assert.equal(token.status, 200);

    assert.equal((await root.call('POST', `/resource-servers/${globexId}/share`, { shared_with: [] })).status, 200);
    const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: GLOBEX_API, scope: 'write:secrets' }, credentials);
    assert.equal(refused.status, 400);
    assert.equal(refused.body['error'], 'invalid_target');
  });

  test('CLI: resources create --tenant/--share-with, resources share, and the same refusals for clients and api-keys', async () => {
    const owned = await json('resources', 'create', 'https://cli.initech.test', '--scopes', 'read', '--tenant', 'globex');
    assert.equal(owned['tenant_id'], globexAdmin.tenantId);
    const clientRefused = await tollgate('clients', 'create', '--name', 'x', '--tenant', 'acme', '--resource', 'https://cli.initech.test', '--scopes', 'read');
    assert.equal(clientRefused.code, 1);
    assert.match(clientRefused.stderr, /resource https:\/\/cli\.initech\.test is not a resource server of this tenant or shared with it/);
    const keyRefused = await tollgate('api-keys', 'create', '--tenant', 'acme', '--name', 'x', '--resource', 'https://cli.initech.test', '--scopes', 'read');
    assert.equal(keyRefused.code, 1);
    assert.match(keyRefused.stderr, /is not a resource server of this tenant/);
    const adminKey = await tollgate('api-keys', 'create', '--tenant', 'acme', '--name', 'x', '--resource', ADMIN_AUDIENCE, '--scopes', 'tollgate:admin', '--expires-in', 'never');
    assert.equal(adminKey.code, 1);
    assert.match(adminKey.stderr, /the admin API accepts access tokens only/);

    const shared = await json('resources', 'share', 'https://cli.initech.test', '--share-with', 'acme');
    assert.deepEqual(shared['shared_with'], [acmeAdmin.tenantId]);
    const key = await json('api-keys', 'create', '--tenant', 'acme', '--name', 'x', '--resource', 'https://cli.initech.test', '--scopes', 'read');
    assert.deepEqual(key['resources'], ['https://cli.initech.test']);
    const wide = await json('resources', 'create', 'https://wide.test', '--scopes', 'read', '--share-with', 'acme globex');
    assert.deepEqual(wide['shared_with'], [acmeAdmin.tenantId, globexAdmin.tenantId]);
    assert.equal(wide['tenant_id'], null);
    const usable = (await json('resources', 'list', '--tenant', 'acme')).map((row) => row['audience']);
    assert.ok(usable.includes('https://wide.test') && !usable.includes(GLOBEX_API), JSON.stringify(usable));
  });
});
