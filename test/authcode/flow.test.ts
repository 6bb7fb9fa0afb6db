import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { argon2Verifications } from '../../src/registry/secrets.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, startTestServer, type TestServer } from '../helpers/server.js';
import { Browser, csrfOf, EMAIL, PASSWORD, publicClientConfig, seedApps, signInAndConsent, startAuthorization, type AppFixture } from './fixture.js';

for (const { kind, skip } of databaseVariants) {
  describe(`authorization code + PKCE (${kind})`, { skip }, () => {
    let server: TestServer;
    let apps: AppFixture;
    let config: oidc.Configuration;

    before(async () => {
      server = await startTestServer(kind);
      apps = await seedApps(server);
      config = await publicClientConfig(server, apps.publicClientId);
    });
    after(() => server?.stop());

    /**
     * RFC 7662 as the app itself: a user's token for userinfo has no audience,
     * so only the client it was issued to may introspect it (issue 16.9).
     */
    const introspectAsApp = async (token: string) => (await oidc.tokenIntrospection(config, token)) as Record<string, unknown>;

    async function signIn(browser = new Browser()) {
      const start = await startAuthorization(config, apps.redirectUri);
      const callback = await signInAndConsent(server, start, undefined, browser);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: start.verifier,
        expectedState: start.state,
        expectedNonce: start.nonce,
      });
      return { start, callback, tokens };
    }

    test('sign in, exchange the code, refresh twice; replaying the first refresh token revokes the grant', async () => {
      const { tokens } = await signIn();
      assert.equal(tokens.claims()!.sub, apps.userId);
      assert.ok(tokens.refresh_token, 'offline_access granted a refresh token');

      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, apps.userId);
      assert.equal(userinfo.email, EMAIL);
      assert.equal(userinfo['tenant'], 'acme');
      const active = await introspectAsApp(tokens.access_token);
      assert.equal(active['active'], true);
      assert.equal(active['sub'], apps.userId);
      assert.equal(active['tenant'], 'acme');
      assert.deepEqual(active['roles'], ['editor']);

      const first = tokens.refresh_token!;
      const second = await oidc.refreshTokenGrant(config, first);
      assert.notEqual(second.refresh_token, first, 'rotated');
      const third = await oidc.refreshTokenGrant(config, second.refresh_token!);
      assert.equal((await introspectAsApp(third.access_token))['active'], true);

      await assert.rejects(oidc.refreshTokenGrant(config, first), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
      assert.equal((await introspectAsApp(third.access_token))['active'], false, 'the latest access token died with the grant');
      assert.equal((await oidc.tokenIntrospection(config, third.refresh_token!)).active, false);
      await assert.rejects(oidc.refreshTokenGrant(config, third.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
      const rows = await server.database.knex('oidc_models').whereIn('model', ['RefreshToken', 'AccessToken', 'Grant']).count({ n: '*' });
      assert.equal(Number(rows[0]!['n']), 0, 'nothing of the grant is left in storage');
    });

    test('two requests with one refresh token at once: never two live refresh tokens, and the other one revokes the grant', async () => {
      const { tokens } = await signIn();
      const results = await Promise.allSettled([0, 1].map(() => oidc.refreshTokenGrant(config, tokens.refresh_token!)));
      const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      if (won.length === 1) {
        // Both read the token unused: the loser of the adapter's conditional claim revoked the grant.
        const lost = results.find((result) => result.status === 'rejected');
        assert.equal((lost?.reason as oidc.ResponseBodyError).error, 'invalid_grant');
        assert.equal((await introspectAsApp(won[0]!.access_token))['active'], false);
        await assert.rejects(oidc.refreshTokenGrant(config, won[0]!.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
        return;
      }
      // The second read it rotated moments ago with an unused successor: a
      // retry, which rotated again and retired the first answer's token.
      assert.equal(won.length, 2);
      const active = await Promise.all(won.map(async (pair) => (await oidc.tokenIntrospection(config, pair.refresh_token!)).active));
      assert.deepEqual([...active].sort(), [false, true], 'exactly one live refresh token');
      const retired = won[active.indexOf(false)]!;
      const live = won[active.indexOf(true)]!;
      await assert.rejects(oidc.refreshTokenGrant(config, retired.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
      await assert.rejects(oidc.refreshTokenGrant(config, live.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
    });

    test('the loser of a consume race (both read the token unconsumed) revokes the grant', async () => {
      // Over HTTP the second request usually reads the token already consumed;
      // this is the interleaving where both passed the provider's check.
      const { tokens } = await signIn();
      const { RefreshToken } = server.providerHost.provider;
      const [first, second] = await Promise.all([RefreshToken.find(tokens.refresh_token!), RefreshToken.find(tokens.refresh_token!)]);
      assert.ok(first && second && !first.consumed && !second.consumed);
      await first.consume();
      await assert.rejects(second.consume(), (error: { error?: string }) => error.error === 'invalid_grant');
      assert.equal(await server.providerHost.provider.Grant.find(first.grantId!), undefined, 'grant revoked');
      assert.equal((await introspectAsApp(tokens.access_token))['active'], false);
    });

    test('a replayed code is refused and revokes the tokens it issued', async () => {
      const { start, callback, tokens } = await signIn();
      const code = callback.searchParams.get('code')!;
      const replay = await postForm(`${server.issuer}/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: apps.redirectUri,
        code_verifier: start.verifier,
        client_id: apps.publicClientId,
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body['error'], 'invalid_grant');
      assert.equal((await introspectAsApp(tokens.access_token))['active'], false);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
    });

    test('the confidential client exchanges its code with its secret and PKCE', async () => {
      const web = await oidc.discovery(new URL(server.issuer), apps.webClient.clientId, apps.webClient.clientSecret, undefined, {
        execute: [oidc.allowInsecureRequests],
      });
      const start = await startAuthorization(web, apps.redirectUri);
      const callback = await signInAndConsent(server, start);
      const tokens = await oidc.authorizationCodeGrant(web, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      assert.equal(tokens.claims()!.sub, apps.userId);
    });

    test('an access token for the API names it as audience and carries tenant and roles', async () => {
      const start = await startAuthorization(config, apps.redirectUri, { resource: 'https://api.acme.test', scope: 'openid read:projects offline_access' });
      const callback = await signInAndConsent(server, start);
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const [, payload = ''] = tokens.access_token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims['aud'], 'https://api.acme.test');
      assert.equal(claims['sub'], apps.userId);
      assert.equal(claims['tenant'], 'acme');
      assert.deepEqual(claims['roles'], ['editor']);
      assert.equal(claims['scope'], 'read:projects');
    });

    test('plain PKCE is refused', async () => {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: apps.redirectUri,
        scope: 'openid',
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'plain',
        state: 's',
      });
      const response = await fetch(url, { redirect: 'manual' });
      const location = new URL(response.headers.get('location')!);
      assert.equal(location.origin + location.pathname, apps.redirectUri);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(location.searchParams.get('error_description') ?? '', /code_challenge_method/);
    });

    test('a public client without PKCE is refused (so is a confidential one)', async () => {
      for (const clientId of [apps.publicClientId, apps.webClient.clientId]) {
        const url = `${server.issuer}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: apps.redirectUri, scope: 'openid', state: 's' })}`;
        const response = await fetch(url, { redirect: 'manual' });
        const location = new URL(response.headers.get('location')!);
        assert.equal(location.searchParams.get('error'), 'invalid_request');
        assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
      }
    });

    test('a redirect URI that is not registered exactly is refused without redirecting', async () => {
      for (const redirectUri of [`${apps.redirectUri}/`, `${apps.redirectUri}?x=1`, 'http://127.0.0.1:9/other', 'https://evil.example/callback']) {
        const start = await startAuthorization(config, redirectUri);
        const response = await fetch(start.url, { redirect: 'manual' });
        assert.equal(response.status, 400, redirectUri);
        assert.equal(response.headers.get('location'), null);
        assert.equal(((await response.json()) as { error: string }).error, 'invalid_redirect_uri');
      }
    });

    test('a wrong password and an unknown email get the same answer, each after one argon2 verification', async () => {
      const answers: { status: number; body: string; verifications: number }[] = [];
      for (const credentials of [
        { email: EMAIL, password: 'not the password' },
        { email: 'nobody@acme.test', password: PASSWORD },
      ]) {
        const start = await startAuthorization(config, apps.redirectUri);
        const browser = new Browser();
        const login = await browser.follow(start.url.href, server.issuer);
        const page = await login.response.text();
        const before = argon2Verifications();
        const { response } = await browser.postForm(`${login.url}/login`, server.issuer, { csrf: csrfOf(page), ...credentials });
        const body = (await response.text()).replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/value="[^"]*"/g, 'value=""');
        answers.push({ status: response.status, body, verifications: argon2Verifications() - before });
      }
      assert.equal(answers[0]!.status, 401);
      assert.match(answers[0]!.body, /Incorrect email address or password/);
      assert.deepEqual(answers[1], answers[0]);
      assert.equal(answers[0]!.verifications, 1);
    });

    test('RFC 7009: the app revokes its refresh token, and the grant goes with it', async () => {
      const { tokens } = await signIn();
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
      assert.equal((await introspectAsApp(tokens.access_token))['active'], false);
    });

    test("a user cannot sign in to another tenant's app, not even with a live session", async () => {
      const tenant = await server.registry.tenants.create({ slug: 'globex', name: 'Globex' });
      const acmeApi = (await server.registry.resources.findByAudience('https://api.acme.test'))!;
      await server.registry.resources.share(acmeApi.audience, { shared_with: [...acmeApi.sharedWith, tenant.id] });
      const other = await server.registry.appClients.create({
        name: 'globex-app',
        tenant: tenant.slug,
        resources: ['https://api.acme.test'],
        scopes: [],
        redirect_uris: [apps.redirectUri],
        public: true,
      });
      const otherConfig = await publicClientConfig(server, other.client.clientId);
      await assert.rejects(signInAndConsent(server, await startAuthorization(otherConfig, apps.redirectUri)), /got 401/);

      // Signed in to acme's app, the same browser is asked to sign in again for globex's.
      const browser = new Browser();
      await signIn(browser);
      const next = await browser.follow((await startAuthorization(otherConfig, apps.redirectUri)).url.href, server.issuer);
      assert.match(await next.response.text(), /<h1>Sign in<\/h1>/);
    });

    test('a disabled user cannot sign in, and their refresh tokens stop working', async () => {
      const user = await apps.users.create({ tenant: 'acme', email: 'grace@acme.test', password: PASSWORD });
      const start = await startAuthorization(config, apps.redirectUri);
      const callback = await signInAndConsent(server, start, { email: 'grace@acme.test', password: PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      await apps.users.setEnabled(user.id, false);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
      await assert.rejects(signInAndConsent(server, await startAuthorization(config, apps.redirectUri), { email: 'grace@acme.test', password: PASSWORD }), /expected the consent page, got 401/);
    });

    test('a form POST without the CSRF token is refused and signs nobody in', async () => {
      const start = await startAuthorization(config, apps.redirectUri);
      const browser = new Browser();
      const login = await browser.follow(start.url.href, server.issuer);
      await login.response.text();
      for (const form of [{ email: EMAIL, password: PASSWORD }, { email: EMAIL, password: PASSWORD, csrf: 'forged' }] as Record<string, string>[]) {
        const { response } = await browser.postForm(`${login.url}/login`, server.issuer, form);
        assert.equal(response.status, 403);
        assert.match(await response.text(), /Request refused/);
      }
      // Still on the login prompt: the refused POSTs finished nothing.
      const again = await browser.request(login.url);
      assert.match(await again.text(), /<h1>Sign in<\/h1>/);
    });

    test('the pages send a strict Content-Security-Policy and no inline script', async () => {
      const start = await startAuthorization(config, apps.redirectUri);
      const login = await new Browser().follow(start.url.href, server.issuer);
      const csp = login.response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /style-src 'self'/);
      assert.match(csp, /form-action 'self' http:\/\/127\.0\.0\.1:9(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      const page = await login.response.text();
      assert.doesNotMatch(page, /<script|style=/i);
      assert.match(page, /<html lang="en">/);
      assert.match(page, /<label for="email">/);
    });

    test('RP-initiated logout asks for confirmation with a CSRF-protected form', async () => {
      const browser = new Browser();
      const { tokens } = await signIn(browser);
      const url = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out', state: 'bye' });
      const response = await browser.request(url.href);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-security-policy') ?? '', /form-action 'self' http:\/\/127\.0\.0\.1:9(;|$)/);
      const page = await response.text();
      assert.match(page, /<h1>Sign out\?<\/h1>/);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      assert.ok(xsrf);

      const forged = await browser.postForm(`${server.issuer}/session/end/confirm`, server.issuer, { logout: 'yes', xsrf: 'forged' });
      assert.equal(forged.response.status, 400);
      const confirmed = await browser.postForm(`${server.issuer}/session/end/confirm`, server.issuer, { logout: 'yes', xsrf });
      assert.equal(confirmed.url, 'http://127.0.0.1:9/signed-out?state=bye');
      // The session is gone: the next authorization asks for a password again.
      const next = await browser.follow((await startAuthorization(config, apps.redirectUri)).url.href, server.issuer);
      assert.match(await next.response.text(), /<h1>Sign in<\/h1>/);
    });
  });
}
