import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { databaseVariants } from '../helpers/databases.js';
import { privateJwks } from '../keys/fixture.js';
import { API, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

for (const variant of databaseVariants) {
  describe(`introspection and revocation (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let machine: MachineClient;
    /** A second client standing in for a resource server that introspects. */
    let resourceServer: MachineClient;

    before(async () => {
      server = await startTestServer(variant.kind);
      machine = await seedMachineClient(server);
      resourceServer = await seedMachineClient(server, { scopes: [], introspectAudiences: [API] });
    });
    after(() => server?.stop());

    async function issue(client = machine, form: Record<string, string> = { scope: 'read:projects' }): Promise<string> {
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', ...form }, client);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return String(response.body['access_token']);
    }

    const introspect = (token: string, caller: MachineClient = resourceServer) =>
      postForm(`${server.url}/token/introspection`, { token }, caller);

    test('a JWT access token introspects as active with client, scope, tenant and expiry', async () => {
      const token = await issue();
      const { status, body } = await introspect(token);
      assert.equal(status, 200);
      assert.equal(body['active'], true);
      assert.equal(body['client_id'], machine.clientId);
      assert.equal(body['scope'], 'read:projects');
      assert.equal(body['tenant_id'], machine.tenantId);
      assert.equal(body['tenant'], 'acme');
      assert.equal(body['aud'], API);
      assert.equal(typeof body['exp'], 'number');
      assert.equal(body['token_version'], undefined);
    });

    test('introspection requires client authentication', async () => {
      const token = await issue();
      const anonymous = await postForm(`${server.url}/token/introspection`, { token });
      assert.equal(anonymous.status, 400);
      assert.equal(anonymous.body['error'], 'invalid_request');
      const wrong = await introspect(token, { ...resourceServer, clientSecret: 'wrong' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body['error'], 'invalid_client');
    });

    test('garbage, a forged signature and an expired token are inactive', async () => {
      for (const token of ['garbage', 'a.b.c', `${(await issue()).slice(0, -4)}AAAA`]) {
        const { status, body } = await introspect(token);
        assert.equal(status, 200);
        assert.deepEqual(body, { active: false });
      }
      const [active] = privateJwks((await server.keyStore.current()).signingKeys) as [JWK];
      const now = Math.floor(Date.now() / 1000);
      const claims = { client_id: machine.clientId, tenant_id: machine.tenantId, token_version: 0, scope: 'read:projects' };
      const expired = await new SignJWT(claims)
        .setProtectedHeader({ alg: active.alg!, kid: active.kid!, typ: 'at+jwt' })
        .setIssuer(server.issuer).setAudience(API).setSubject(machine.clientId).setJti('expired-1')
        .setIssuedAt(now - 1000).setExpirationTime(now - 100)
        .sign(await importJWK(active, active.alg));
      assert.deepEqual((await introspect(expired)).body, { active: false });

      const foreign = await generateKeyPair('ES256');
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: active.kid!, typ: 'at+jwt' })
        .setIssuer(server.issuer).setAudience(API).setSubject(machine.clientId).setJti('forged-1')
        .setIssuedAt(now).setExpirationTime(now + 600)
        .sign(foreign.privateKey);
      assert.deepEqual((await introspect(forged)).body, { active: false });
    });

    test('revoke-tokens: tokens issued before are inactive, new ones are active', async () => {
      const client = await seedMachineClient(server);
      const before = await issue(client);
      assert.equal((await introspect(before)).body['active'], true);
      await server.registry.clients.revokeTokens(client.clientId);
      assert.deepEqual((await introspect(before)).body, { active: false });
      const fresh = await issue(client);
      assert.equal((await introspect(fresh)).body['active'], true);
    });

    test('disable: the client\'s tokens go inactive and it cannot get new ones; enable restores it', async () => {
      const client = await seedMachineClient(server);
      const token = await issue(client);
      await server.registry.clients.setEnabled(client.clientId, false);
      assert.deepEqual((await introspect(token)).body, { active: false });
      const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client);
      assert.equal(refused.status, 401);
      assert.equal(refused.body['error'], 'invalid_client');
      await server.registry.clients.setEnabled(client.clientId, true);
      assert.equal((await introspect(token)).body['active'], true);
    });

    test('rotate-secret: the old secret stops working at once, the new one works', async () => {
      const client = await seedMachineClient(server);
      await issue(client); // warms the verified-credential cache with the old secret
      const { clientSecret } = await server.registry.clients.rotateSecret(client.clientId);
      const old = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client);
      assert.equal(old.status, 401);
      await issue({ ...client, clientSecret });
    });

    test('RFC 7009: a revoked opaque token introspects as inactive; revocation answers 200 for unknown tokens', async () => {
      await server.registry.resources.create({ audience: 'https://opaque.acme.test', scopes: ['ping'], token_format: 'opaque', tenant: 'acme' });
      const client = await seedMachineClient(server, { resources: ['https://opaque.acme.test'], scopes: ['ping'] });
      const token = await issue(client, { scope: 'ping' });
      // Its own client may introspect it (the resource service here is for API only).
      assert.equal((await introspect(token, client)).body['active'], true);
      const revoked = await postForm(`${server.url}/token/revocation`, { token }, client);
      assert.equal(revoked.status, 200);
      assert.deepEqual((await introspect(token, client)).body, { active: false });
      const unknown = await postForm(`${server.url}/token/revocation`, { token: 'no-such-token' }, client);
      assert.equal(unknown.status, 200);
      const [row] = await server.database.knex('oidc_models').where({ model: 'ClientCredentials' }).count({ n: '*' });
      assert.equal(Number(row?.['n']), 0);
    });
  });
}
