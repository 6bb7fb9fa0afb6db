import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TollgateError } from '../../src/errors.js';
import { adminSession, type AdminSession } from '../admin/fixture.js';
import { cliFor } from '../helpers/cli.js';
import { API, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { SignInDriver } from './sign-in-driver.js';

/** Redirect URIs that would put a wildcard, or a new source or directive, into a page's CSP form-action. */
const UNSAFE = [
  'https://*.evil.test/cb',
  'https://app.acme.test/*',
  'https://app.acme.test/cb;script-src',
  "https://app.acme.test/cb'unsafe-inline'",
  'https://app.acme.test/cb,https://evil.test',
  'https://app.acme.test/c b',
  'https://app.acme.test/cb\\x',
  'https://app.acme.test/cb\u0000',
  'com.acme.app:/*',
];

describe('redirect URIs are exact: wildcards and CSP-unsafe characters are refused at registration', { timeout: 60_000 }, () => {
  let server: TestServer;
  let admin: AdminSession;
  before(async () => {
    server = await startTestServer('sqlite');
    await seedMachineClient(server);
    admin = await adminSession(server);
  });
  after(() => server?.stop());
  const { tollgate } = cliFor(() => server);

  const app = (fields: Record<string, unknown>) => ({ name: 'web', tenant: 'acme', resources: [API], scopes: ['read:projects'], redirect_uris: ['https://app.acme.test/cb'], public: true, ...fields });

  test('admin API: 400 invalid_redirect_uri for a redirect or post-logout redirect URI, and nothing is created', async () => {
    for (const uri of UNSAFE) {
      for (const body of [app({ redirect_uris: [uri] }), app({ post_logout_redirect_uris: [uri] })]) {
        const answer = await admin.call('POST', '/app-clients', body);
        assert.equal(answer.status, 400, `${uri}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body['error'], uri.includes('\u0000') ? 'invalid_request' : 'invalid_redirect_uri', uri);
      }
    }
    assert.equal((await server.database.knex('app_clients').count({ n: '*' }).first())?.['n'], 0);
    const exact = await admin.call('POST', '/app-clients', app({ redirect_uris: ['https://app.acme.test/cb?x=1&y=%2A'] }));
    assert.equal(exact.status, 201, JSON.stringify(exact.body));
  });

  test('the registry (what the CLI calls) refuses them the same way', async () => {
    await assert.rejects(
      server.registry.appClients.create({ name: 'web', tenant: 'acme', resources: [API], scopes: ['read:projects'], redirect_uris: ['https://*.evil.test/cb'] }),
      (error: unknown) => error instanceof TollgateError && error.status === 400 && error.error === 'invalid_redirect_uri' && /never patterns/.test(error.message),
    );
  });

  test('tollgate clients create --redirect-uri with a wildcard: one clear line, exit 1', async () => {
    const result = await tollgate('clients', 'create', '--grant', 'authorization_code', '--name', 'web', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects',
      '--redirect-uri', 'https://*.evil.test/cb');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /redirect_uri must not contain \*/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('a wildcard stored before this rule still never reaches a page policy', async () => {
    const { client } = await server.registry.appClients.create({ name: 'legacy', tenant: 'acme', resources: [API], scopes: ['read:projects'], redirect_uris: ['https://app.acme.test/cb'], public: true });
    const wildcard = 'https://*.evil.test/out';
    await server.database.knex('app_clients').where({ client_id: client.clientId }).update({ post_logout_redirect_uris: JSON.stringify([wildcard, 'https://app.acme.test/out']) });
    const driver = new SignInDriver(server);
    for (const uri of [wildcard, 'https://app.acme.test/out']) {
      const page = await driver.request(`/session/end?${new URLSearchParams({ client_id: client.clientId, post_logout_redirect_uri: uri })}`);
      assert.equal(page.status, 200, page.body);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.doesNotMatch(csp, /\*/, csp);
      assert.match(csp, /form-action 'self'/);
    }
  });
});
