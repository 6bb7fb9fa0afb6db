import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seedApps } from './fixture.js';
import { SignInDriver } from './sign-in-driver.js';

const FORWARDED_HTTPS = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };

/** Signs in on a fresh server with `env`, sending `headers` as the proxy would; returns the cookies set on the way. */
async function signInCookies(env: Record<string, string>, headers: Record<string, string>): Promise<string[]> {
  let server: TestServer | undefined;
  try {
    server = await startTestServer('sqlite', { env });
    const apps = await seedApps(server);
    const driver = new SignInDriver(server, headers);
    const consent = await driver.signIn(apps.publicClientId, apps.redirectUri);
    assert.match(consent.body, /Allow access/);
    const cookies = driver.setCookies;
    for (const name of ['_interaction', '_interaction_resume', '_session']) {
      assert.ok(cookies.some((line) => line.startsWith(`${name}=`)), `${name} was set`);
    }
    return cookies;
  } finally {
    await server?.stop();
  }
}

const isSecure = (line: string) => /;\s*secure(;|$)/i.test(line);

describe('session and interaction cookies are Secure behind TLS', { timeout: 60_000 }, () => {
  test('an https issuer behind a trusted proxy (X-Forwarded-Proto: https): every cookie of the sign-in is Secure, HttpOnly, SameSite=Lax', async () => {
    const cookies = await signInCookies({ ISSUER: 'https://auth.acme.test', TOLLGATE_TRUST_PROXY: 'loopback' }, FORWARDED_HTTPS);
    for (const line of cookies) {
      assert.ok(isSecure(line), line.split('=')[0]);
      assert.match(line, /httponly/i);
      assert.match(line, /samesite=lax/i);
    }
  });

  test('an https issuer is https whatever the proxy forwards: still Secure with no X-Forwarded-Proto or an untrusted one', async () => {
    const cookies = await signInCookies({ ISSUER: 'https://auth.acme.test', TOLLGATE_TRUST_PROXY: '10.0.0.0/8' }, {});
    assert.ok(cookies.every(isSecure), cookies.join('\n'));
  });

  test('X-Forwarded-Proto counts only from a trusted proxy (http issuer): trusted → Secure, untrusted → ignored', async () => {
    const trusted = await signInCookies({ TOLLGATE_TRUST_PROXY: 'loopback' }, FORWARDED_HTTPS);
    assert.ok(trusted.every(isSecure), trusted.join('\n'));
    const untrusted = await signInCookies({ TOLLGATE_TRUST_PROXY: '10.0.0.0/8' }, FORWARDED_HTTPS);
    assert.ok(!untrusted.some(isSecure), untrusted.join('\n'));
    const noProxy = await signInCookies({}, FORWARDED_HTTPS);
    assert.ok(!noProxy.some(isSecure), noProxy.join('\n'));
  });
});
