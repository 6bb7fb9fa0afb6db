import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { ADMIN_AUDIENCE, ADMIN_SCOPE } from '../../src/admin/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { discover, insecure } from '../proof-of-possession/key-clients.js';
import { adminRequest, adminToken } from './fixture.js';

// One database is enough: this is about the admin API's token check, not storage.
describe('the admin API and DPoP-bound tokens', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server?.stop());

  test('a DPoP-bound admin token sent as Bearer is refused with 401 invalid_token; an unbound one works', async () => {
    await server.registry.tenants.create({ slug: 'tollgate', name: 'Tollgate' });
    const { client, clientSecret } = await server.registry.clients.create({ name: 'ops', tenant: 'tollgate', resources: [ADMIN_AUDIENCE], scopes: [ADMIN_SCOPE] });
    const as = await discover(server);
    const handle = oauth.DPoP({}, await generateKeyPair('ES256'));
    const params = new URLSearchParams({ resource: ADMIN_AUDIENCE, scope: ADMIN_SCOPE });
    const oauthClient: oauth.Client = { client_id: client.clientId };
    const bound = await oauth.processClientCredentialsResponse(
      as,
      oauthClient,
      await oauth.clientCredentialsGrantRequest(as, oauthClient, oauth.ClientSecretBasic(clientSecret), params, { ...insecure, DPoP: handle }),
    );
    assert.equal(bound.token_type, 'dpop');

    const refused = await adminRequest(server, 'GET', '/tenants', { token: bound.access_token });
    assert.equal(refused.status, 401);
    assert.equal(refused.body['error'], 'invalid_token');
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

    const plain = await adminToken(server, { clientId: client.clientId, clientSecret }, ADMIN_SCOPE);
    assert.equal((await adminRequest(server, 'GET', '/tenants', { token: plain })).status, 200);
  });
});
