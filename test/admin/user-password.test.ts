import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { SignIn } from '../../src/users/index.js';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { EMAIL, PASSWORD, publicClientConfig, seedApps, signInAndConsent, startAuthorization, type AppFixture } from '../authcode/fixture.js';
import { adminSession, type AdminSession } from './fixture.js';

const NEW_PASSWORD = 'a brand new passphrase for ada';

for (const variant of databaseVariants) {
  describe(`admin API, setting a user's password (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let apps: AppFixture;
    let config: oidc.Configuration;
    let admin: AdminSession;
    let signIn: SignIn;

    before(async () => {
      server = await startTestServer(variant.kind);
      apps = await seedApps(server);
      config = await publicClientConfig(server, apps.publicClientId);
      admin = await adminSession(server);
      signIn = new SignIn(apps.users, undefined);
    });
    after(() => server?.stop());

    const signsIn = async (password: string) => {
      const acme = await server.registry.tenants.findBySlug('acme');
      return (await signIn.attempt({ tenantId: acme!.id, email: EMAIL, password, ip: '192.0.2.1' })).ok;
    };

    test('PUT /users/{id}/password: the new password signs in, the old one no longer does, and the refresh token issued before stops working', async () => {
      const start = await startAuthorization(config, apps.redirectUri);
      const callback = await signInAndConsent(server, start);
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      assert.ok(tokens.refresh_token);

      const answer = await admin.call('PUT', `/users/${apps.userId}/password`, { password: NEW_PASSWORD });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body['id'], apps.userId);
      assert.equal(answer.body['email'], EMAIL);
      assert.doesNotMatch(JSON.stringify(answer.body), /password|argon2/i);
      assert.equal(await signsIn(NEW_PASSWORD), true);
      assert.equal(await signsIn(PASSWORD), false);

      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');

      const events = await admin.call('GET', `/audit-events?subject=${apps.userId}`);
      const [event] = events.body.data!;
      assert.equal(event?.['type'], 'user.password_set');
      assert.equal(event?.['actor'], admin.clientId);
      assert.deepEqual(event?.['detail'], { actor_tenant_id: admin.tenantId, via: 'admin_api' });
      const rows = JSON.stringify(await server.database.knex('audit_events').select('*'));
      assert.ok(!rows.includes(NEW_PASSWORD) && !rows.includes(PASSWORD), 'no password in the audit log');
    });

    test("a tenant admin sets passwords of its own tenant's users only; another tenant's user is 404 and keeps its password", async () => {
      const acmeAdmin = await adminSession(server, { tenant: 'acme' });
      const betaAdmin = await adminSession(server, { tenant: 'beta' });
      const refused = await betaAdmin.call('PUT', `/users/${apps.userId}/password`, { password: 'beta wants in here' });
      assert.equal(refused.status, 404);
      assert.equal(refused.body['error'], 'not_found');
      assert.equal(await signsIn(NEW_PASSWORD), true);

      assert.equal((await acmeAdmin.call('PUT', `/users/${apps.userId}/password`, { password: PASSWORD })).status, 200);
      assert.equal(await signsIn(PASSWORD), true);
      assert.equal((await admin.call('PUT', '/users/no-such-user/password', { password: PASSWORD })).status, 404);
    });

    test('the new password is held to the rule a created one is; the body takes nothing else', async () => {
      for (const body of [{ password: 'short' }, {}, { password: PASSWORD, enabled: false }, { password_hash: 'x' }]) {
        const answer = await admin.call('PUT', `/users/${apps.userId}/password`, body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body['error'], 'invalid_request');
      }
      assert.equal(await signsIn(PASSWORD), true, 'unchanged');
    });
  });
}
