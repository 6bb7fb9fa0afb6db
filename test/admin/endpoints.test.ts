import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, startTestServer, type TestServer } from '../helpers/server.js';
import { decodeProtectedHeader } from 'jose';
import { ADMIN_SCOPE } from '../../src/admin/index.js';
import { adminSession, adminToken, type AdminSession } from './fixture.js';

const API = 'https://api.admin-e2e.test';

for (const variant of databaseVariants) {
  describe(`admin API, every endpoint with a global admin token (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      // Rotations need no wait for verifiers' JWKS caches here.
      server = await startTestServer(variant.kind, { env: { TOLLGATE_JWKS_MAX_AGE: '0' } });
      admin = await adminSession(server);
    });
    after(() => server?.stop());

    test('tenants: create, list, read by slug and id, change the quota', async () => {
      const created = await admin.call('POST', '/tenants', { slug: 'acme', name: 'Acme Corp', token_quota: '1000/h' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body['slug'], 'acme');
      assert.match(String(created.body['id']), /^[0-9a-f-]{36}$/);

      const listed = await admin.call('GET', '/tenants');
      assert.deepEqual(listed.body.data!.map((tenant) => tenant['slug']).sort(), ['acme', 'tollgate']);
      assert.equal((await admin.call('GET', '/tenants/acme')).body['id'], created.body['id']);
      assert.equal((await admin.call('GET', `/tenants/${String(created.body['id'])}`)).body['slug'], 'acme');

      const updated = await admin.call('PATCH', '/tenants/acme', { token_quota: null });
      assert.equal(updated.status, 200);
      assert.equal(updated.body['token_quota'], null);
      assert.equal((await admin.call('POST', '/tenants', { slug: 'acme', name: 'again' })).status, 409);
    });

    test('resource servers: register and list; the admin API is one of them', async () => {
      const created = await admin.call('POST', '/resource-servers', { audience: API, scopes: ['read:things', 'write:things'], access_token_ttl: 600, shared_with: ['acme'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const audiences = (await admin.call('GET', '/resource-servers')).body.data!.map((resource) => resource['audience']);
      assert.ok(audiences.includes(API));
      assert.ok(audiences.includes('urn:tollgate:admin'));
    });

    test('clients: create (secret once), read without secret, update, disable/enable, rotate secret, revoke tokens', async () => {
      const created = await admin.call('POST', '/clients', { name: 'billing', tenant: 'acme', resources: [API], scopes: ['read:things'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const clientId = String(created.body['client_id']);
      const secret = String(created.body['client_secret']);
      assert.ok(secret.length >= 43);
      const credentials = { clientId, clientSecret: secret };
      const token = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials);
      assert.equal(token.status, 200);

      const read = await admin.call('GET', `/clients/${clientId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body['tenant_slug'], 'acme');
      assert.doesNotMatch(JSON.stringify(read.body), /"client_secret"|secretHash|argon2/);
      const listed = await admin.call('GET', '/clients?tenant=acme');
      assert.deepEqual(listed.body.data!.map((client) => client['client_id']), [clientId]);
      assert.doesNotMatch(JSON.stringify(listed.body), /"client_secret"|secretHash|argon2/);

      const updated = await admin.call('PATCH', `/clients/${clientId}`, { token_quota: '50/min' });
      assert.equal(updated.body['token_quota'], '50/min');

      assert.equal((await admin.call('POST', `/clients/${clientId}/disable`)).body['enabled'], false);
      assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials)).status, 401);
      assert.equal((await admin.call('POST', `/clients/${clientId}/enable`)).body['enabled'], true);

      const revoked = await admin.call('POST', `/clients/${clientId}/revoke-tokens`);
      assert.equal(revoked.body['token_version'], 1);
      const introspected = await postForm(`${server.url}/token/introspection`, { token: String(token.body['access_token']) }, credentials);
      assert.equal(introspected.body['active'], false);

      const rotated = await admin.call('POST', `/clients/${clientId}/rotate-secret`);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body['client_secret'], secret);
      assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials)).status, 401);
      const fresh = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { clientId, clientSecret: String(rotated.body['client_secret']) });
      assert.equal(fresh.status, 200);
    });

    test('API keys: create (key once), list and read without it, rotate with overlap, revoke', async () => {
      const created = await admin.call('POST', '/api-keys', { tenant: 'acme', name: 'export', resources: [API], scopes: ['read:things'], expires_in: '30d' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(String(created.body['key']), /^tg_live_/);
      const id = String(created.body['id']);
      assert.equal(created.body['created_by'], admin.clientId);

      const read = await admin.call('GET', `/api-keys/${id}`);
      assert.equal(read.body['status'], 'active');
      assert.equal(read.body['key'], undefined);
      assert.doesNotMatch(JSON.stringify((await admin.call('GET', '/api-keys')).body), /tg_live_|argon2/);

      const rotated = await admin.call('POST', `/api-keys/${id}/rotate`, { overlap: '1h' });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.match(String(rotated.body['key']), /^tg_live_/);
      assert.equal((rotated.body['previous'] as Record<string, unknown>)['replaced_by'], rotated.body['id']);

      const revoked = await admin.call('POST', `/api-keys/${String(rotated.body['id'])}/revoke`);
      assert.equal(revoked.body['status'], 'revoked');
    });

    test('signing keys: list, rotate (the new key signs at once here), revoke; audit events name the admin client', async () => {
      const before = (await admin.call('GET', '/signing-keys')).body.data!;
      const next = before.find((key) => key['state'] === 'next')!;
      const rotated = await admin.call('POST', '/signing-keys/rotate', {});
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(rotated.body['activated'], next['kid']);
      const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
      assert.ok(jwks.keys.some((key) => key.kid === rotated.body['next']));
      // This instance swapped its provider at once: the next token is signed by the activated key.
      const token = await adminToken(server, admin, ADMIN_SCOPE);
      assert.equal(decodeProtectedHeader(token).kid, rotated.body['activated']);

      const revoked = await admin.call('POST', `/signing-keys/${String(rotated.body['next'])}/revoke`);
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.equal(revoked.body['previous_state'], 'next');
      const states = (await admin.call('GET', '/signing-keys')).body.data!.map((key) => [key['kid'], key['state']]);
      assert.ok(states.some(([kid, state]) => kid === rotated.body['next'] && state === 'revoked'));
      assert.equal((await admin.call('POST', `/signing-keys/${String(rotated.body['next'])}/revoke`)).status, 409);
      assert.equal((await admin.call('POST', '/signing-keys/no-such-kid/revoke')).status, 404);

      const events = await admin.call('GET', '/audit-events?type=key.');
      assert.deepEqual(events.body.data!.map((event) => [event['type'], event['actor']]), [
        ['key.revoked', admin.clientId],
        ['key.rotated', admin.clientId],
      ]);
    });

    test('audit events: every change above, with the admin client as actor, filterable by type and subject', async () => {
      const clients = await admin.call('GET', '/audit-events?type=client.');
      const types = clients.body.data!.map((event) => event['type']);
      for (const type of ['client.created', 'client.updated', 'client.disabled', 'client.enabled', 'client.tokens_revoked', 'client.secret_rotated']) {
        assert.ok(types.includes(type), `${type} in ${types.join(' ')}`);
      }
      assert.ok(clients.body.data!.every((event) => event['actor'] === admin.clientId));
      assert.ok(clients.body.data!.every((event) => (event['detail'] as Record<string, unknown>)['actor_tenant_id'] === admin.tenantId));
      assert.doesNotMatch(JSON.stringify(clients.body), /"client_secret"|argon2/);
      const apiKeys = await admin.call('GET', '/audit-events?type=api_key.');
      assert.deepEqual(new Set(apiKeys.body.data!.map((event) => event['actor'])), new Set([admin.clientId]));
      const tenants = await admin.call('GET', '/audit-events?type=tenant.&tenant=acme');
      assert.deepEqual(tenants.body.data!.map((event) => event['type']), ['tenant.updated', 'tenant.created']);
    });
  });
}
