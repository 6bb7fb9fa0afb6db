import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminRequest, adminToken } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`tollgate clients create --admin: the admin API bootstrap (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer(variant.kind);
    });
    after(() => server?.stop());
    const { tollgate, json } = cliFor(() => server);

    test('prints a global admin client whose token manages everything', async () => {
      const admin = await json('clients', 'create', '--admin');
      assert.equal(admin['tenant_slug'], 'tollgate');
      assert.deepEqual(admin['scopes'], ['tollgate:admin']);
      const token = await adminToken(server, { clientId: String(admin['client_id']), clientSecret: String(admin['client_secret']) }, 'tollgate:admin');
      const created = await adminRequest(server, 'POST', '/tenants', { token, body: { slug: 'acme', name: 'Acme' } });
      assert.equal(created.status, 201);
      assert.equal((await adminRequest(server, 'GET', '/signing-keys', { token })).status, 200);
    });

    test("with --tenant, that tenant's admin: its own tenant only", async () => {
      const admin = await json('clients', 'create', '--admin', '--tenant', 'acme');
      assert.deepEqual(admin['scopes'], ['tollgate:tenant-admin']);
      const token = await adminToken(server, { clientId: String(admin['client_id']), clientSecret: String(admin['client_secret']) }, 'tollgate:tenant-admin');
      const tenants = await adminRequest(server, 'GET', '/tenants', { token });
      assert.deepEqual(tenants.body.data!.map((tenant) => tenant['slug']), ['acme']);
      assert.equal((await adminRequest(server, 'GET', '/signing-keys', { token })).status, 403);
    });

    test('--admin with --scopes is refused', async () => {
      const refused = await tollgate('clients', 'create', '--admin', '--scopes', 'read');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /--admin sets the resource and scopes itself/);
    });
  });
}
