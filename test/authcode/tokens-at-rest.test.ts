import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { OIDC_MODELS_TABLE } from '../../adapters/knex-adapter.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { Browser, introspect, introspectAsApp, publicClientConfig, seedApps, signInAndConsent, startAuthorization, type AppFixture } from './fixture.js';

const OPAQUE_API = 'https://opaque.acme.test';

for (const { kind, skip } of databaseVariants) {
  describe(`no usable token is stored in clear (${kind})`, { skip }, () => {
    let server: TestServer;
    let apps: AppFixture;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer(kind);
      apps = await seedApps(server);
      config = await publicClientConfig(server, apps.publicClientId);
    });
    after(() => server?.stop());

    test('after tokens of every kind are issued, no row holds one, and each still introspects or refreshes', async () => {
      await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['ping'], token_format: 'opaque', shared_with: ['*'] });
      const machine = await seedMachineClient(server, { resources: [OPAQUE_API], scopes: ['ping'] });
      const issued = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'ping' }, machine);
      const clientCredentials = issued.body['access_token'] as string;
      assert.ok(clientCredentials);

      const browser = new Browser();
      const start = await startAuthorization(config, apps.redirectUri);
      const callback = await signInAndConsent(server, start, undefined, browser);
      const code = callback.searchParams.get('code')!;
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);

      const pushed = await postForm(`${server.issuer}/request`, {
        client_id: apps.publicClientId,
        response_type: 'code',
        redirect_uri: apps.redirectUri,
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      assert.equal(pushed.status, 201);
      const requestUri = pushed.body['request_uri'] as string;

      // The session is found by its cookie: the next authorization asks for consent, not a password,
      // and leaves that interaction in progress (stored).
      const again = await browser.follow((await startAuthorization(config, apps.redirectUri)).url.href, server.issuer);
      const page = await again.response.text();
      assert.match(again.url, /\/interaction\//);
      assert.doesNotMatch(page, /<h1>Sign in<\/h1>/);

      const values = new Map<string, string>([
        ['client credentials token', clientCredentials],
        ['authorization code', code],
        ['access token', tokens.access_token],
        ['refresh token', tokens.refresh_token!],
        ['rotated access token', rotated.access_token],
        ['rotated refresh token', rotated.refresh_token!],
        ['request_uri id', requestUri.slice(requestUri.lastIndexOf(':') + 1)],
        // The _session cookie is the session's id, the _interaction cookie the interaction's.
        ...[...browser.cookieValues].filter((value) => value.length >= 16).map((value, i): [string, string] => [`cookie value ${i}`, value]),
      ]);
      const rows = await server.database.knex(OIDC_MODELS_TABLE).select('*');
      const models = new Set(rows.map((row: { model: string }) => row.model));
      for (const model of ['AccessToken', 'AuthorizationCode', 'ClientCredentials', 'Grant', 'Interaction', 'PushedAuthorizationRequest', 'RefreshToken', 'Session']) {
        assert.ok(models.has(model), `a ${model} row was written`);
      }
      for (const row of rows) {
        const text = JSON.stringify(row);
        for (const [what, value] of values) assert.equal(text.includes(value), false, `a ${row.model} row holds the ${what}`);
      }

      assert.equal((await introspect(server, machine, clientCredentials))['active'], true);
      assert.equal((await introspectAsApp(config, rotated.access_token))['active'], true);
      const next = await oidc.refreshTokenGrant(config, rotated.refresh_token!);
      assert.equal((await introspectAsApp(config, next.access_token))['active'], true);
    });
  });
}
