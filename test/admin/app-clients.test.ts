import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_AUDIENCE } from '../../src/admin/index.js';
import { verifySecret } from '../../src/registry/secrets.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

const app = (overrides: Record<string, unknown> = {}) => ({
  name: 'acme-web', tenant: 'acme', resources: [API], scopes: ['read:projects'],
  redirect_uris: ['https://app.acme.test/callback'], post_logout_redirect_uris: ['https://app.acme.test/signed-out'], ...overrides,
});

for (const variant of databaseVariants) {
  describe(`admin API, app clients (authorization code) (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let root: AdminSession;
    let acmeAdmin: AdminSession;

    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      root = await adminSession(server);
      acmeAdmin = await adminSession(server, { tenant: 'acme' });
      await adminSession(server, { tenant: 'beta' });
    });
    after(() => server?.stop());

    test('a confidential app client: secret once, stored as a hash; reads show its redirect URIs and never the secret', async () => {
      const created = await root.call('POST', '/app-clients', app());
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const clientId = String(created.body['client_id']);
      const secret = String(created.body['client_secret']);
      assert.equal(created.body['token_endpoint_auth_method'], 'client_secret_basic');
      assert.deepEqual(created.body['redirect_uris'], ['https://app.acme.test/callback']);
      assert.deepEqual(created.body['post_logout_redirect_uris'], ['https://app.acme.test/signed-out']);
      const row = await server.database.knex('clients').where({ client_id: clientId }).first();
      assert.equal(await verifySecret(row.secret_hash, secret), true);
      const appRow = await server.database.knex('app_clients').where({ client_id: clientId }).first();
      assert.equal(Boolean(appRow.public), false);

      const read = await root.call('GET', `/clients/${clientId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body['public'], false);
      assert.deepEqual(read.body['redirect_uris'], ['https://app.acme.test/callback']);
      assert.deepEqual(read.body['post_logout_redirect_uris'], ['https://app.acme.test/signed-out']);
      assert.ok(!JSON.stringify(read.body).includes(secret));
      assert.doesNotMatch(JSON.stringify(read.body), /"client_secret"|secretHash|argon2/);

      await server.audit.settled();
      const events = await root.call('GET', `/audit-events?subject=${clientId}`);
      assert.deepEqual(events.body.data!.map((event) => [event['type'], event['actor']]), [['client.created', root.clientId]]);
      const detail = events.body.data![0]!['detail'] as Record<string, unknown>;
      assert.equal(detail['grant'], 'authorization_code');
      assert.equal(detail['via'], 'admin_api');
    });

    test('a public app client has no secret; a machine client reads without app fields', async () => {
      const created = await root.call('POST', '/app-clients', app({ name: 'acme-mobile', public: true, redirect_uris: ['com.acme.app:/callback'] }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body['client_secret'], undefined);
      assert.equal(created.body['token_endpoint_auth_method'], 'none');
      const read = await root.call('GET', `/clients/${String(created.body['client_id'])}`);
      assert.equal(read.body['public'], true);
      assert.equal(read.body['token_endpoint_auth_method'], 'none', 'as the provider sees it: PKCE, no secret');

      const machine = await root.call('POST', '/clients', { name: 'job', tenant: 'acme', resources: [API], scopes: ['read:projects'] });
      const machineRead = await root.call('GET', `/clients/${String(machine.body['client_id'])}`);
      assert.equal(machineRead.body['redirect_uris'], undefined);
      assert.equal(machineRead.body['public'], undefined);
    });

    // Found by the fuzz test: null passed the schema (nullable) but reached the NOT NULL column: 500, and a client row without its app row.
    test('"public": null is the default, a confidential client (201), not a 500', async () => {
      const created = await root.call('POST', '/app-clients', app({ name: 'acme-null-public', public: null }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body['token_endpoint_auth_method'], 'client_secret_basic');
      assert.ok(created.body['client_secret'], 'a confidential client gets its secret');
      const appRow = await server.database.knex('app_clients').where({ client_id: String(created.body['client_id']) }).first();
      assert.equal(Boolean(appRow.public), false);
    });

    test('the CLI checks apply: bad redirect URIs, unknown fields and machine-only fields are 400 and create nothing', async () => {
      const before = await server.database.knex('app_clients').count({ n: '*' }).first();
      const refused: [Record<string, unknown>, RegExp, string?][] = [
        [app({ redirect_uris: ['http://app.acme.test/callback'] }), /redirect_uri http:\/\/app.acme.test\/callback must be https/, 'invalid_redirect_uri'],
        [app({ redirect_uris: ['https://app.acme.test/cb#frag'] }), /no fragment/, 'invalid_redirect_uri'],
        [app({ redirect_uris: ['com.acme.app:/callback'] }), /private-use scheme/, 'invalid_redirect_uri'],
        [app({ redirect_uris: [] }), /redirect_uris/],
        [app({ grant: 'authorization_code' }), /grant is not a recognised field/],
        [app({ token_endpoint_auth_method: 'private_key_jwt' }), /token_endpoint_auth_method is not a recognised field/],
        [app({ scopes: ['no-such-scope'] }), /scope no-such-scope is not offered/],
      ];
      for (const [body, description, code = 'invalid_request'] of refused) {
        const answer = await root.call('POST', '/app-clients', body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body['error'], code);
        assert.match(String(answer.body['error_description']), description);
      }
      assert.deepEqual(await server.database.knex('app_clients').count({ n: '*' }).first(), before);
    });

    test('a tenant admin creates app clients in their tenant only, never one holding tollgate:admin', async () => {
      const own = await acmeAdmin.call('POST', '/app-clients', app({ tenant: undefined, name: 'acme-own' }));
      assert.equal(own.status, 201, JSON.stringify(own.body));
      assert.equal(own.body['tenant_slug'], 'acme');
      const elsewhere = await acmeAdmin.call('POST', '/app-clients', app({ tenant: 'beta', name: 'intruder' }));
      assert.equal(elsewhere.status, 400);
      assert.equal(elsewhere.body['error_description'], 'tenant beta does not exist');
      const escalate = await acmeAdmin.call('POST', '/app-clients', app({ name: 'root-app', resources: [ADMIN_AUDIENCE], scopes: ['tollgate:admin'] }));
      assert.equal(escalate.status, 403);
      assert.equal(escalate.body['error'], 'insufficient_scope');
      const names = (await server.database.knex('clients').select('name')).map((row: { name: string }) => row.name);
      assert.ok(!names.includes('intruder') && !names.includes('root-app'));
    });

    test('Idempotency-Key: a retried create returns the first answer (same secret) and makes one client', async () => {
      const body = app({ name: 'acme-retry' });
      const first = await root.call('POST', '/app-clients', body, { 'idempotency-key': 'app-1' });
      const retry = await root.call('POST', '/app-clients', body, { 'idempotency-key': 'app-1' });
      assert.equal(retry.status, 201);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal((await server.database.knex('clients').where({ name: 'acme-retry' })).length, 1);
    });
  });
}
