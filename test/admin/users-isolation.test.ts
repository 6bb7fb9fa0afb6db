import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`admin API users, a tenant admin of alpha against tenant beta (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let root: AdminSession;
    let alphaAdmin: AdminSession;
    let beta: { userId: string; tenantId: string };

    before(async () => {
      server = await startTestServer(variant.kind);
      root = await adminSession(server);
      alphaAdmin = await adminSession(server, { tenant: 'alpha' });
      await adminSession(server, { tenant: 'beta' });
      const betaUser = await root.call('POST', '/users', { tenant: 'beta', email: 'bob@beta.test' });
      beta = { userId: String(betaUser.body['id']), tenantId: String(betaUser.body['tenant_id']) };
      await root.call('POST', '/users', { tenant: 'alpha', email: 'alice@alpha.test' });
    });
    after(() => server?.stop());

    test("lists hold only alpha's users, whatever tenant filter is asked for", async () => {
      for (const path of ['/users', '/users?tenant=beta', `/users?tenant=${beta.tenantId}`]) {
        const listed = await alphaAdmin.call('GET', path);
        assert.equal(listed.status, 200);
        assert.ok(listed.body.data!.every((user) => user['tenant_slug'] === 'alpha'), path);
      }
      assert.deepEqual((await alphaAdmin.call('GET', '/users')).body.data!.map((user) => user['email']), ['alice@alpha.test']);
      assert.equal((await root.call('GET', '/users')).body.data!.length, 2, 'a global admin sees every tenant');
    });

    test("beta's user is 404 to read, disable and enable, as an unknown id, and stays unchanged", async () => {
      for (const [method, path] of [
        ['GET', `/users/${beta.userId}`],
        ['POST', `/users/${beta.userId}/disable`],
        ['POST', `/users/${beta.userId}/enable`],
        ['GET', '/users/bob@beta.test'],
        ['GET', '/users/00000000-0000-4000-8000-000000000000'],
      ] as const) {
        const answer = await alphaAdmin.call(method, path);
        assert.equal(answer.status, 404, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body['error'], 'not_found');
      }
      const row = await server.database.knex('users').where({ id: beta.userId }).first();
      assert.equal(Boolean(row.enabled), true);
      assert.equal(Number(row.updated_at), Number(row.created_at));
    });

    test('creates go to alpha only: naming beta is answered like naming a tenant that does not exist', async () => {
      for (const tenant of ['beta', beta.tenantId]) {
        const answer = await alphaAdmin.call('POST', '/users', { tenant, email: 'mallory@beta.test' });
        assert.equal(answer.status, 400);
        assert.equal(answer.body['error_description'], `tenant ${tenant} does not exist`);
      }
      assert.equal((await server.database.knex('users').where({ email: 'mallory@beta.test' })).length, 0);
      const own = await alphaAdmin.call('POST', '/users', { email: 'carol@alpha.test' });
      assert.equal(own.status, 201);
      assert.equal(own.body['tenant_slug'], 'alpha');
    });
  });
}
