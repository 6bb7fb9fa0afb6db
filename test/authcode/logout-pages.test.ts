import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { PASSWORD, seedApps, type AppFixture } from './fixture.js';
import { SignInDriver, type PageVisit } from './sign-in-driver.js';

/** A page under the strict policy: a CSP without 'unsafe-inline' or a wildcard, and no script in the HTML. */
function assertStrictPage(visit: PageVisit): string {
  const csp = visit.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/, `${visit.url} has the strict CSP`);
  assert.doesNotMatch(csp, /unsafe-inline|\*|script-src/, `${visit.url}: ${csp}`);
  assert.doesNotMatch(visit.body, /<script|\son[a-z]+=|javascript:/i, `${visit.url} runs no script`);
  return csp;
}

/** An HTML page a browser shows (a redirect's body is never rendered). */
const isPage = (visit: PageVisit) => (visit.status < 300 || visit.status >= 400) && /text\/html/.test(visit.headers.get('content-type') ?? '');
const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)?.[1] ?? '';
const formAction = (page: string) => /<form [^>]*action="([^"]+)"/.exec(page)?.[1] ?? '';

describe('logout and sign-in pages run no script and carry the strict CSP', { timeout: 60_000 }, () => {
  let server: TestServer;
  let apps: AppFixture;
  before(async () => {
    server = await startTestServer('sqlite');
    apps = await seedApps(server, 'https://app.acme.test');
  });
  after(() => server?.stop());
  const signedOut = 'https://app.acme.test/signed-out';

  test('/session/end with no session: Tollgate\'s page with a button (not the auto-submitting script), then the signed-out page', async () => {
    const driver = new SignInDriver(server);
    {
      const page = await driver.request('/session/end');
      assert.equal(page.status, 200);
      assertStrictPage(page);
      assert.match(page.body, /<button type="submit">Continue<\/button>/);
      assert.equal(hidden(page.body, 'logout'), 'yes');
      const confirmed = await driver.request(formAction(page.body), { form: { xsrf: hidden(page.body, 'xsrf'), logout: 'yes' } });
      assert.equal(confirmed.status, 303);
      const success = await driver.follow(confirmed.headers.get('location')!);
      assert.equal(success.status, 200);
      assertStrictPage(success);
      assert.match(success.body, /You are signed out/);
    }
  });

  test('with a client and its post_logout_redirect_uri: form-action allows exactly that origin, and the button leads there', async () => {
    const driver = new SignInDriver(server);
    const query = new URLSearchParams({ client_id: apps.publicClientId, post_logout_redirect_uri: signedOut, state: 'abc' });
    const page = await driver.request(`/session/end?${query}`);
    const csp = assertStrictPage(page);
    assert.match(csp, /form-action 'self' https:\/\/app\.acme\.test(;|$)/);
    const confirmed = await driver.request(formAction(page.body), { form: { xsrf: hidden(page.body, 'xsrf'), logout: 'yes' } });
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.headers.get('location'), `${signedOut}?state=abc`);
  });

  test('signed in: login, consent and logout pages are all strict, and signing out ends the session', async () => {
    const driver = new SignInDriver(server);
    assert.match((await driver.signIn(apps.publicClientId, apps.redirectUri)).body, /Allow access/);
    const logout = await driver.request(`/session/end?client_id=${apps.publicClientId}`);
    assert.equal(logout.status, 200);
    assert.match(logout.body, /Yes, sign me out/);
    const confirmed = await driver.follow(formAction(logout.body), { form: { xsrf: hidden(logout.body, 'xsrf'), logout: 'yes' } });
    assert.match(confirmed.body, /You are signed out/);
    const pages = driver.visits.filter(isPage);
    assert.ok(pages.length >= 4, `login, consent, logout, signed out: ${pages.map((visit) => visit.url).join(' ')}`);
    pages.forEach(assertStrictPage);
    assert.ok(driver.setCookies.some((line) => /^_session=;|^_session=.*expires=Thu, 01 Jan 1970/i.test(line)), 'the session cookie was cleared');
  });

  test('another account signing in over a session: the switch is confirmed with a button, not a script, and then resumes', async () => {
    await apps.users.create({ tenant: 'acme', email: 'grace@acme.test', password: PASSWORD, roles: [] });
    const driver = new SignInDriver(server);
    assert.match((await driver.signIn(apps.publicClientId, apps.redirectUri)).body, /Allow access/);
    const switching = await driver.signIn(apps.publicClientId, apps.redirectUri, 'grace@acme.test');
    assert.equal(switching.status, 200);
    assertStrictPage(switching);
    assert.match(switching.body, /<button type="submit">Continue<\/button>/);
    const consent = await driver.follow(formAction(switching.body), { form: { xsrf: hidden(switching.body, 'xsrf'), logout: 'yes' } });
    assertStrictPage(consent);
    assert.match(consent.body, /Allow access/);
    assert.match(consent.body, /Signed in as grace@acme\.test/);
  });
});
