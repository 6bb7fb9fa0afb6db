import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_AUDIENCE } from '../../src/admin/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { adminRequest, adminSession, adminToken, type AdminSession } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`admin API authentication and input (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startTestServer(variant.kind);
      admin = await adminSession(server);
      await seedMachineClient(server);
    });
    after(() => server?.stop());

    test('no token: 401 with a WWW-Authenticate challenge; a bad token: 401 invalid_token', async () => {
      const none = await adminRequest(server, 'GET', '/clients');
      assert.equal(none.status, 401);
      assert.equal(none.body['error'], 'invalid_token');
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="tollgate-admin"');
      for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', `Bearer ${admin.token}x`]) {
        const bad = await adminRequest(server, 'GET', '/clients', { headers: { authorization } });
        assert.equal(bad.status, 401, authorization.slice(0, 12));
        assert.match(String(bad.headers.get('www-authenticate')), /error="invalid_token"/);
      }
    });

    test("a token for another audience, or without an admin scope, is refused", async () => {
      const machine = await seedMachineClient(server);
      const apiToken = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine);
      assert.equal((await adminRequest(server, 'GET', '/clients', { token: String(apiToken.body['access_token']) })).status, 401);

      // An admin-audience token that carries no admin scope (none was requested).
      const noScope = await adminToken(server, admin);
      const refused = await adminRequest(server, 'GET', '/clients', { token: noScope });
      assert.equal(refused.status, 403);
      assert.equal(refused.body['error'], 'insufficient_scope');
      assert.match(String(refused.headers.get('www-authenticate')), /error="insufficient_scope"/);
    });

    test('disabling the admin client or revoking its tokens stops its tokens at once, as introspection does', async () => {
      const other = await adminSession(server);
      assert.equal((await other.call('GET', '/tenants')).status, 200);
      await admin.call('POST', `/clients/${other.clientId}/revoke-tokens`);
      assert.equal((await other.call('GET', '/tenants')).status, 401);
      const fresh = await adminToken(server, other, 'tollgate:admin');
      assert.equal((await adminRequest(server, 'GET', '/tenants', { token: fresh })).status, 200);
      await admin.call('POST', `/clients/${other.clientId}/disable`);
      assert.equal((await adminRequest(server, 'GET', '/tenants', { token: fresh })).status, 401);
    });

    test('unknown and server-owned fields are 400 naming the field; nothing is created', async () => {
      const base = { name: 'job', tenant: 'acme', resources: [API], scopes: ['read:projects'] };
      for (const field of ['client_id', 'client_secret', 'secret_hash', 'token_version', 'enabled', 'created_at', 'tenant_id', 'colour']) {
        const answer = await admin.call('POST', '/clients', { ...base, [field]: 'x' });
        assert.equal(answer.status, 400, field);
        assert.equal(answer.body['error'], 'invalid_request');
        assert.equal(answer.body['error_description'], `${field} is not a recognised field`);
      }
      const clients = await admin.call('GET', '/clients?tenant=acme');
      assert.ok(clients.body.data!.every((client) => client['name'] !== 'job'));

      const tenant = await admin.call('POST', '/tenants', { slug: 'x1', name: 'X', id: '00000000-0000-0000-0000-000000000000' });
      assert.equal(tenant.body['error_description'], 'id is not a recognised field');
      const patch = await admin.call('PATCH', '/tenants/acme', { slug: 'renamed' });
      assert.equal(patch.body['error_description'], 'slug is not a recognised field');
      const key = await admin.call('POST', '/api-keys', { tenant: 'acme', name: 'k', resources: [API], scopes: [], createdBy: 'someone-else' });
      assert.equal(key.body['error_description'], 'createdBy is not a recognised field');
      const typed = await admin.call('POST', '/clients', { ...base, scopes: 'read:projects' });
      assert.equal(typed.status, 400);
      assert.match(String(typed.body['error_description']), /^scopes /);
      const missing = await admin.call('POST', '/tenants', { name: 'no slug' });
      assert.equal(missing.body['error_description'], 'slug is required');
    });

    test('bodies: invalid JSON 400, not JSON 415, a body on an action that takes none 400; unknown query parameters 400', async () => {
      const broken = await adminRequest(server, 'POST', '/tenants', { token: admin.token, body: '{"slug":', headers: { 'content-type': 'application/json' } });
      assert.equal(broken.status, 400);
      const form = await adminRequest(server, 'POST', '/tenants', { token: admin.token, body: 'slug=a&name=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(form.status, 415);
      const clientId = String((await admin.call('GET', '/clients')).body.data![0]!['client_id']);
      const extra = await admin.call('POST', `/clients/${clientId}/disable`, { enabled: true });
      assert.equal(extra.status, 400);
      for (const json of ['null', '[]', '"x"', '7']) {
        const odd = await adminRequest(server, 'POST', `/clients/${clientId}/enable`, { token: admin.token, body: json });
        assert.equal(odd.status, 400, json);
        const create = await adminRequest(server, 'POST', '/tenants', { token: admin.token, body: json });
        assert.equal(create.status, 400, json);
      }
      assert.equal((await admin.call('GET', '/clients?owner=me')).status, 400);
      assert.equal((await admin.call('DELETE', '/clients')).status, 405);
      assert.equal((await admin.call('GET', '/no-such-thing')).status, 404);
    });

    test('audit events: the page size is capped at 100 and the cursor walks every event once', async () => {
      for (let index = 0; index < 110; index += 1) {
        await server.audit.record({ type: 'client.updated', actor: 'cli', subject: 'page-test' });
      }
      const capped = await admin.call('GET', '/audit-events?subject=page-test&limit=100000');
      assert.equal(capped.status, 200);
      assert.equal(capped.body.data!.length, 100);
      const seen = new Set<unknown>();
      let cursor: string | null = null;
      do {
        const page = await admin.call('GET', `/audit-events?subject=page-test&limit=40${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.body.data!.length <= 40);
        page.body.data!.forEach((event) => seen.add(event['id']));
        cursor = page.body['next_cursor'] as string | null;
      } while (cursor);
      assert.equal(seen.size, 110);
      assert.equal((await admin.call('GET', '/audit-events?cursor=bm9wZQ')).status, 400);
    });

    test('Idempotency-Key: a retried create returns the first answer (same secret), another body with that key is 409', async () => {
      const body = { name: 'idempotent-job', tenant: 'acme', resources: [API], scopes: ['read:projects'] };
      const first = await admin.call('POST', '/clients', body, { 'idempotency-key': 'create-job-1' });
      assert.equal(first.status, 201);
      const retry = await admin.call('POST', '/clients', body, { 'idempotency-key': 'create-job-1' });
      assert.equal(retry.status, 201);
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      const named = (await admin.call('GET', '/clients?tenant=acme')).body.data!.filter((client) => client['name'] === 'idempotent-job');
      assert.equal(named.length, 1);

      const different = await admin.call('POST', '/clients', { ...body, name: 'other' }, { 'idempotency-key': 'create-job-1' });
      assert.equal(different.status, 409);
      assert.equal(different.body['error'], 'conflict');

      // The stored answer is sealed: the secret is not in the database in the clear.
      const rows = await server.database.knex('admin_idempotency_keys').select('response');
      assert.ok(rows.length >= 1);
      assert.ok(rows.every((row: { response: string }) => !row.response.includes(String(first.body['client_secret']))));

      // A key is the caller's own: another admin with the same key creates its own client.
      const other = await adminSession(server);
      const theirs = await other.call('POST', '/clients', body, { 'idempotency-key': 'create-job-1' });
      assert.equal(theirs.status, 201);
      assert.notEqual(theirs.body['client_id'], first.body['client_id']);

      // A refused create keeps nothing: the corrected retry with the same key runs.
      const refused = await admin.call('POST', '/clients', { ...body, tenant: 'nope' }, { 'idempotency-key': 'create-job-2' });
      assert.equal(refused.status, 400);
      const corrected = await admin.call('POST', '/clients', { ...body, name: 'corrected' }, { 'idempotency-key': 'create-job-2' });
      assert.equal(corrected.status, 201);
      assert.equal(corrected.headers.get('idempotent-replayed'), null);
      // Keys are per route: the same key on another route is another request.
      assert.equal((await admin.call('POST', '/tenants', { slug: 'idem', name: 'I' }, { 'idempotency-key': 'create-job-2' })).status, 201);
    });

    test('the admin resource server exists after start, offering both admin scopes as JWTs', async () => {
      const resource = await server.registry.resources.findByAudience(ADMIN_AUDIENCE);
      assert.deepEqual(resource?.scopes, ['tollgate:admin', 'tollgate:tenant-admin']);
      assert.equal(resource?.tokenFormat, 'jwt');
    });
  });
}
