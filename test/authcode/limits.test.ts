import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { argon2Verifications } from '../../src/registry/secrets.js';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Browser, csrfOf, EMAIL, PASSWORD, publicClientConfig, seedApps, signInAndConsent, startAuthorization, type AppFixture } from './fixture.js';

for (const { kind, skip } of databaseVariants) {
  describe(`sign-in limits and token quotas for user apps (${kind})`, { skip }, () => {
    let server: TestServer;
    let apps: AppFixture;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer(kind, { env: { TOLLGATE_RATE_LIMITS: 'on', TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '3/min' } });
      apps = await seedApps(server);
      config = await publicClientConfig(server, apps.publicClientId);
    });
    after(() => server?.stop());

    async function attempt(email: string, password: string) {
      const browser = new Browser();
      const login = await browser.follow((await startAuthorization(config, apps.redirectUri)).url.href, server.issuer);
      const page = await login.response.text();
      const { response } = await browser.postForm(`${login.url}/login`, server.issuer, { csrf: csrfOf(page), email, password });
      return response;
    }

    test('an account with too many failed sign-ins is refused before argon2, even with the right password', async () => {
      const email = 'throttled@acme.test';
      await apps.users.create({ tenant: 'acme', email, password: PASSWORD });
      for (let i = 0; i < 3; i += 1) assert.equal((await attempt(email, 'wrong password')).status, 401);
      const before = argon2Verifications();
      const refused = await attempt(email, PASSWORD);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.match(await refused.text(), /Too many attempts/);
      assert.equal(argon2Verifications(), before, 'no argon2 verification while throttled');
      // Another account is not affected by this one's failures.
      assert.equal((await attempt(EMAIL, PASSWORD)).status, 200);
    });

    test('app tokens count against the client quota; a refused refresh leaves the refresh token usable', async () => {
      const { client } = await server.registry.appClients.create({
        name: 'quota-app',
        tenant: 'acme',
        resources: ['https://api.acme.test'],
        scopes: [],
        redirect_uris: [apps.redirectUri],
        public: true,
        token_quota: '2/h',
      });
      const quotaConfig = await publicClientConfig(server, client.clientId);
      const start = await startAuthorization(quotaConfig, apps.redirectUri);
      const callback = await signInAndConsent(server, start);
      const tokens = await oidc.authorizationCodeGrant(quotaConfig, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const refreshed = await oidc.refreshTokenGrant(quotaConfig, tokens.refresh_token!);
      await assert.rejects(oidc.refreshTokenGrant(quotaConfig, refreshed.refresh_token!), (error: oidc.ResponseBodyError) => error.status === 429 && error.error === 'rate_limited');

      const row = await server.database.knex('oidc_models').where({ model: 'RefreshToken' }).whereNotNull('grant_id').andWhere('payload', 'like', `%${client.clientId}%`).whereNull('consumed_at').count({ n: '*' });
      assert.equal(Number(row[0]!['n']), 1, 'the refused refresh token was not consumed');
      assert.equal((await oidc.tokenIntrospection(quotaConfig, refreshed.refresh_token!)).active, true, 'and its grant is intact');
    });
  });
}
