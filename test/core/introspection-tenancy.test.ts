import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

const OPAQUE_API = 'https://opaque.acme.test';
const sqlite = databaseVariants.find((variant) => variant.kind === 'sqlite')!;

/**
 * Issue 16.9: a token or API key is shown active only to its own client and
 * to clients of its tenant allowed to introspect for its audience; any other
 * client gets {"active": false} (RFC 7662 §2.2), never an error.
 */
describe('introspection is limited to the token\'s tenant and its resource services (issue 16.9)', { timeout: 60_000 }, () => {
  let server: TestServer;
  let holder: MachineClient;
  let acmeService: MachineClient;
  let acmeBystander: MachineClient;
  let globexService: MachineClient;
  const credentials: Record<'jwt' | 'opaque' | 'api_key', string> = { jwt: '', opaque: '', api_key: '' };

  before(async () => {
    server = await startTestServer(sqlite.kind);
    await server.registry.tenants.create({ slug: 'acme', name: 'Acme' });
    await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['read:things'], token_format: 'opaque', tenant: 'acme' });
    holder = await seedMachineClient(server, { resources: [API, OPAQUE_API], scopes: ['read:projects', 'read:things'] });
    acmeService = await seedMachineClient(server, { scopes: [], introspectAudiences: [API, OPAQUE_API] });
    acmeBystander = await seedMachineClient(server, { scopes: [] });
    // API is shared with globex too (seedMachineClient shares it), so globex may name it; OPAQUE_API is acme's own.
    globexService = await seedMachineClient(server, { tenant: 'globex', scopes: [], introspectAudiences: [API] });

    const token = async (resource: string, scope: string) => {
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource, scope }, holder);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return String(response.body['access_token']);
    };
    credentials.jwt = await token(API, 'read:projects');
    credentials.opaque = await token(OPAQUE_API, 'read:things');
    credentials.api_key = (await server.apiKeys.keys.create({ tenant: 'acme', name: 'partner', resources: [API], scopes: ['read:projects'] })).key;
  });
  after(() => server?.stop());

  const introspect = (caller: MachineClient, token: string) => postForm(`${server.url}/token/introspection`, { token }, caller);

  for (const kind of ['jwt', 'opaque', 'api_key'] as const) {
    test(`${kind}: active for the tenant's resource service, {"active":false} for another tenant's client and for a client without permission`, async () => {
      const allowed = await introspect(acmeService, credentials[kind]);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.body['active'], true, JSON.stringify(allowed.body));
      assert.equal(allowed.body['tenant'], 'acme');

      for (const [who, caller] of [['globex service', globexService], ['acme client without introspection permission', acmeBystander]] as const) {
        const refused = await introspect(caller, credentials[kind]);
        assert.equal(refused.status, 200, who);
        assert.deepEqual(refused.body, { active: false }, who);
      }
    });
  }

  test('the client a token was issued to may introspect it; not an API key it did not get', async () => {
    for (const kind of ['jwt', 'opaque'] as const) {
      assert.equal((await introspect(holder, credentials[kind])).body['active'], true, kind);
    }
    assert.deepEqual((await introspect(holder, credentials.api_key)).body, { active: false });
  });

  test('introspection permission is only for resource servers the client\'s tenant may use', async () => {
    await assert.rejects(
      server.registry.clients.create({ name: 'snoop', tenant: 'globex', resources: [API], scopes: [], introspect_audiences: [OPAQUE_API] }),
      { status: 400, message: /introspect_audiences entry https:\/\/opaque\.acme\.test is not a resource server of this tenant/ },
    );
  });
});
