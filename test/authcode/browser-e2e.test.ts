import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { EMAIL, PASSWORD, publicClientConfig, REDIRECT_PATH, seedApps, startAuthorization, type AppFixture } from './fixture.js';

const browserSkip = chromiumSkip();

/** The app's side of the redirect: answers every request with a small page. */
async function startCallbackServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('signed in');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

for (const { kind, skip } of databaseVariants) {
  describe(`sign-in in Chromium, then refresh rotation and reuse (${kind})`, { skip: skip || browserSkip }, () => {
    let server: TestServer;
    let callback: Awaited<ReturnType<typeof startCallbackServer>>;
    let apps: AppFixture;

    before(async () => {
      server = await startTestServer(kind);
      callback = await startCallbackServer();
      apps = await seedApps(server, callback.origin);
    });
    after(async () => {
      await server?.stop();
      callback?.server.close();
    });

    test('log in and consent on the real pages; refresh twice; replaying the first refresh token revokes the grant', async () => {
      const config = await publicClientConfig(server, apps.publicClientId);
      const start = await startAuthorization(config, apps.redirectUri);
      const chromium = await launchChromium();
      const violations: string[] = [];
      let callbackUrl: URL;
      try {
        const page = await chromium.context.newPage();
        page.on('console', (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
        });
        await page.goto(start.url.href);
        assert.equal(await page.locator('h1').textContent(), 'Sign in');
        // Labels are wired to their fields: find the fields by their label, as assistive technology does.
        await page.getByLabel('Email address').fill(EMAIL);
        await page.getByLabel('Password').fill(PASSWORD);
        const screenshot = process.env['TOLLGATE_LOGIN_SCREENSHOT'];
        if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
        await page.getByRole('button', { name: 'Sign in' }).click();

        await page.waitForURL(/\/interaction\//);
        assert.equal(await page.locator('h1').textContent(), 'Allow access');
        await page.getByRole('button', { name: 'Allow' }).click();
        // A form-action that does not allow the redirect origin leaves the browser on the consent page.
        await page.waitForURL((url) => url.pathname === REDIRECT_PATH, { timeout: 10_000 }).catch((error: unknown) => {
          throw new Error(`the browser never reached the app; CSP violations: ${violations.join(' | ') || 'none'}`, { cause: error });
        });
        callbackUrl = new URL(page.url());
      } finally {
        await chromium.close();
      }
      assert.deepEqual(violations, [], 'no Content-Security-Policy violation, form-action included');

      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: start.verifier,
        expectedState: start.state,
        expectedNonce: start.nonce,
      });
      assert.equal(tokens.claims()!.sub, apps.userId);

      const first = tokens.refresh_token!;
      const second = await oidc.refreshTokenGrant(config, first);
      const third = await oidc.refreshTokenGrant(config, second.refresh_token!);
      assert.equal((await oidc.tokenIntrospection(config, third.access_token)).active, true);
      assert.equal((await oidc.tokenIntrospection(config, third.refresh_token!)).active, true);

      await assert.rejects(oidc.refreshTokenGrant(config, first), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
      assert.equal((await oidc.tokenIntrospection(config, third.access_token)).active, false);
      assert.equal((await oidc.tokenIntrospection(config, third.refresh_token!)).active, false);
    });
  });
}
