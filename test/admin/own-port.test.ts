import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`TOLLGATE_ADMIN_PORT: the admin API on a port of its own (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer(variant.kind, { env: { TOLLGATE_ADMIN_PORT: '0' } });
    });
    after(() => server?.stop());

    test('serves /admin/v1 there, with tokens from the main port, and not on the main port', async () => {
      assert.notEqual(server.adminUrl, server.url);
      const admin = await adminSession(server);
      assert.equal((await admin.call('GET', '/tenants')).status, 200);
      assert.equal((await fetch(`${server.adminUrl}/admin/v1/openapi.json`)).status, 200);

      const onMain = await fetch(`${server.url}/admin/v1/tenants`, { headers: { authorization: `Bearer ${admin.token}` } });
      assert.equal(onMain.status, 404);
      assert.equal((await fetch(`${server.adminUrl}/token`, { method: 'POST' })).status, 404);
      assert.equal((await fetch(`${server.adminUrl}/healthz`)).status, 200);
    });
  });
}
