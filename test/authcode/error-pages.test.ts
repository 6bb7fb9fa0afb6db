import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { renderErrorPage } from '../../src/interactions/error-page.js';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';
import { API, startTestServer, type TestServer } from '../helpers/server.js';
import { seedApps, type AppFixture } from './fixture.js';

/** What a browser sends with a top-level navigation. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

const browserSkip = chromiumSkip();

function authorizationUrl(server: TestServer, params: Record<string, string>): string {
  return `${server.issuer}/auth?${new URLSearchParams({ response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params })}`;
}

async function getPage(url: string, accept = BROWSER_ACCEPT): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url, { headers: { accept }, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** An error page: HTML in the sign-in style, the strict policy, no script, nothing internal. */
function assertErrorPage(page: { status: number; headers: Headers; body: string }, code: string): void {
  assert.equal(page.status, 400, page.body);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src|\*/, csp);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.match(page.body, /<link rel="stylesheet" href="\/interaction-assets\/tollgate\.css">/);
  assert.match(page.body, new RegExp(`<code>${code}</code>`));
  assert.doesNotMatch(page.body, /<script|\son[a-z]+=|javascript:/i, 'runs no script');
  assert.doesNotMatch(page.body, /node_modules|\bat [A-Za-z.]+ \(|Error:|\{"error"/, 'no stack, no raw JSON');
}

describe('the error page shows nothing internal', () => {
  /** Just what renderErrorPage touches of a Koa context. */
  const context = (status: number) => {
    const headers: Record<string, string> = {};
    return { status, type: '', body: undefined as unknown, headers, set(name: string, value: string) { headers[name] = value; } };
  };

  test('a server_error: a generic page, no description; an unknown or malformed code becomes server_error', () => {
    for (const out of [
      { error: 'server_error', error_description: 'connect ECONNREFUSED 10.0.0.5:5432 at Pool.connect (node_modules/pg)' },
      { error: '<script>alert(1)</script>"', error_description: 'internal' },
    ]) {
      const ctx = context(500);
      renderErrorPage(ctx, out);
      const body = String(ctx.body);
      assert.match(body, /<h1>Something went wrong<\/h1>/);
      assert.match(body, /<code>server_error<\/code>/);
      assert.doesNotMatch(body, /ECONNREFUSED|node_modules|internal|<script/);
      assert.match(ctx.headers['Content-Security-Policy'] ?? '', /default-src 'none'/);
    }
  });

  test('a code without an explanation of its own gets a general one, with the code and description escaped', () => {
    const ctx = context(400);
    renderErrorPage(ctx, { error: 'invalid_software_statement', error_description: 'a <b>bold</b> claim' });
    const body = String(ctx.body);
    assert.match(body, /<h1>Sign-in stopped<\/h1>/);
    assert.match(body, /<code>invalid_software_statement<\/code>/);
    assert.match(body, /a &#60;b&#62;bold&#60;\/b&#62; claim/);
  });
});

describe('browser-facing errors at /auth are a page in the sign-in style, not raw JSON', { timeout: 60_000 }, () => {
  let server: TestServer;
  let apps: AppFixture;
  before(async () => {
    server = await startTestServer('sqlite');
    apps = await seedApps(server, 'https://app.acme.test');
  });
  after(() => server?.stop());

  test('an unknown client_id: 400 page "Unknown app" with invalid_client', async () => {
    const page = await getPage(authorizationUrl(server, { client_id: 'no-such-client', redirect_uri: apps.redirectUri }));
    assertErrorPage(page, 'invalid_client');
    assert.match(page.body, /<h1>Unknown app<\/h1>/);
    assert.match(page.body, /not registered with this sign-in service/);
  });

  test('a missing redirect_uri (the client registered two, so none is implied): 400 page with invalid_request and what is missing', async () => {
    const twoRedirects = await server.registry.appClients.create({
      tenant: 'acme', name: 'acme-two-redirects', resources: [API], scopes: ['read:projects'], public: true,
      redirect_uris: ['https://app.acme.test/one', 'https://app.acme.test/two'],
    });
    const page = await getPage(authorizationUrl(server, { client_id: twoRedirects.client.clientId }));
    assertErrorPage(page, 'invalid_request');
    assert.match(page.body, /<h1>Incomplete sign-in request<\/h1>/);
    assert.match(page.body, /redirect_uri/);
  });

  test('an unregistered redirect_uri: the page, never a redirect to it', async () => {
    const page = await getPage(authorizationUrl(server, { client_id: apps.webClient.clientId, redirect_uri: 'https://evil.test/cb' }));
    assertErrorPage(page, 'invalid_redirect_uri');
    assert.equal(page.headers.get('location'), null);
  });

  test('a caller that does not ask for HTML still gets the JSON error', async () => {
    const answer = await getPage(authorizationUrl(server, { client_id: 'no-such-client', redirect_uri: apps.redirectUri }), 'application/json');
    assert.equal(answer.status, 400);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(JSON.parse(answer.body).error, 'invalid_client');
  });

  test('the token endpoint answers JSON as before, even to a browser', async () => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('no-such-client:wrong').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });

  test('in Chromium: the page renders with its stylesheet and no CSP violation', { skip: browserSkip }, async () => {
    const chromium = await launchChromium();
    const violations: string[] = [];
    try {
      const page = await chromium.context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
      await page.addInitScript("document.addEventListener('securitypolicyviolation', (event) => window.reportViolation(event.violatedDirective + ' ' + event.blockedURI))");
      const response = await page.goto(authorizationUrl(server, { client_id: 'no-such-client', redirect_uri: apps.redirectUri }));
      assert.equal(response?.status(), 400);
      assert.equal(await page.locator('h1').textContent(), 'Unknown app');
      // The stylesheet applied: the card has its white background, not the browser default.
      assert.equal(await page.evaluate("getComputedStyle(document.querySelector('main.card')).backgroundColor"), 'rgb(255, 255, 255)');
      const screenshot = process.env['TOLLGATE_ERROR_SCREENSHOT'];
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    } finally {
      await chromium.close();
    }
    assert.deepEqual(violations, []);
  });
});
