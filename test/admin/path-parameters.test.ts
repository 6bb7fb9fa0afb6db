import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

for (const variant of databaseVariants) {
  // Found by the fuzz test: `GET /admin/v1/tenants/.%00.json` reached PostgreSQL, which refuses NUL: 500.
  describe(`admin API: a NUL in a path parameter (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let root: AdminSession;
    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      root = await adminSession(server);
    });
    after(() => server?.stop());

    test('names no object: 404 not_found on every route that takes one', async () => {
      for (const [method, path] of [
        ['GET', '/tenants/.%00.json'],
        ['PATCH', '/tenants/acme%00'],
        ['GET', '/clients/a%00b'],
        ['POST', '/clients/%00/disable'],
        ['GET', '/users/%00'],
        ['GET', '/api-keys/x%00'],
        ['POST', '/signing-keys/%00/revoke'],
      ] as const) {
        const response = await root.call(method, path, method === 'PATCH' ? { token_quota: '100/min' } : undefined);
        assert.equal(response.status, 404, `${method} ${path}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body['error'], 'not_found');
      }
    });
  });
}
