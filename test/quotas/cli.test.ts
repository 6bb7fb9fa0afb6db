import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { eventually, postForm, startTestServer, type TestServer } from '../helpers/server.js';

const API = 'https://api.acme.test';

for (const variant of databaseVariants) {
  describe(`token quotas through the tollgate CLI (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer(variant.kind, { env: { TOLLGATE_RATE_LIMITS: 'on' } });
    });
    after(() => server?.stop());
    const { tollgate, json } = cliFor(() => server);

    const issue = (credentials: { clientId: string; clientSecret: string }) =>
      postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials);

    test('set on create, shown in list and show, changed and cleared with update; the running server follows', async () => {
      const tenant = await json('tenants', 'create', 'acme', '--name', 'Acme Corp', '--token-quota', '10000/h');
      assert.equal(tenant['token_quota'], '10000/h');
      await json('resources', 'create', API, '--scopes', 'read:projects', '--tenant', 'acme');
      const client = await json('clients', 'create', '--name', 'billing-job', '--tenant', 'acme',
        '--resource', API, '--scopes', 'read:projects', '--token-quota', '2/h');
      assert.equal(client['token_quota'], '2/h');
      assert.equal(client['tenant_token_quota'], '10000/h');
      const clientId = String(client['client_id']);
      const credentials = { clientId, clientSecret: String(client['client_secret']) };

      const table = await tollgate('clients', 'show', clientId);
      assert.match(table.stdout, /^token_quota\s+2\/h$/m);
      assert.match((await tollgate('tenants', 'list')).stdout, /\b10000\/h\b/);
      assert.equal((await json('clients', 'list', '--tenant', 'acme'))[0]?.['token_quota'], '2/h');

      assert.deepEqual([(await issue(credentials)).status, (await issue(credentials)).status, (await issue(credentials)).status], [200, 200, 429]);

      // Raised from another process: the server sees it within the registry cache TTL.
      assert.equal((await json('clients', 'update', clientId, '--token-quota', '3/h'))['token_quota'], '3/h');
      await eventually(async () => assert.equal((await issue(credentials)).status, 200));
      assert.equal((await issue(credentials)).status, 429);

      assert.equal((await json('clients', 'update', clientId, '--token-quota', 'none'))['token_quota'], null);
      await eventually(async () => assert.equal((await issue(credentials)).status, 200));

      // The tenant's quota is now the one that binds: 10000/h is far off, 1/min is not.
      assert.equal((await json('tenants', 'update', 'acme', '--token-quota', '1/min'))['token_quota'], '1/min');
      await eventually(async () => {
        const refused = await issue(credentials);
        assert.equal(refused.status, 429);
        assert.match(String(refused.body['error_description']), /tenant's token quota \(1\/min\)/);
      });
      assert.equal((await json('tenants', 'update', 'acme', '--token-quota', 'none'))['token_quota'], null);
      await eventually(async () => assert.equal((await issue(credentials)).status, 200));

      const events = await json('audit', 'list', '--type', 'tenant.updated');
      assert.deepEqual(events.map((event) => event['detail']), [
        { 'token_quota.before': '1/min', 'token_quota.after': null },
        { 'token_quota.before': '10000/h', 'token_quota.after': '1/min' },
      ]);
      const clientEvents = await json('audit', 'list', '--type', 'client.updated');
      assert.deepEqual(clientEvents.map((event) => [event['subject'], event['detail']]), [
        [clientId, { 'token_quota.before': '3/h', 'token_quota.after': null }],
        [clientId, { 'token_quota.before': '2/h', 'token_quota.after': '3/h' }],
      ]);
    });

    test('a bad quota or a missing one is one clear line and a non-zero exit', async () => {
      const bad = await tollgate('tenants', 'create', 'globex', '--token-quota', '5/fortnight');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^tollgate: token_quota must look like 1000\/h/);
      assert.equal(bad.stderr.trim().split('\n').length, 1);

      const nothing = await tollgate('tenants', 'update', 'acme');
      assert.equal(nothing.code, 1);
      assert.match(nothing.stderr, /nothing to update: give --token-quota/);

      const unknown = await tollgate('clients', 'update', 'no-such-client', '--token-quota', '1/h');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /client no-such-client does not exist/);
    });
  });
}
