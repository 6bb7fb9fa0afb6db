import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ADMIN_AUDIENCE, ADMIN_SCOPE } from '../../src/admin/audience.js';

const browserSkip = chromiumSkip();

describe('the admin API reference in Chromium', { skip: browserSkip, timeout: 90_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
    await server.registry.tenants.create({ slug: 'tollgate', name: 'tollgate corp' });
  });
  after(() => server?.stop());

  test('renders every operation and the schemas; "try it" answers 401, then 200 after Authorize; the CSP is never violated', async () => {
    const chromium = await launchChromium();
    const violations: string[] = [];
    const routes = server.adminApi.routes;
    const listing = routes.find((route) => route.method === 'GET' && route.parameterNames.length === 0);
    assert.ok(listing, 'a GET operation without path parameters');
    try {
      const page = await chromium.context.newPage();
      await page.setViewportSize({ width: 1280, height: 1000 });
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to|unsafe-/i.test(message.text())) violations.push(message.text());
      });
      page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
      await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
      await page.addInitScript(
        "document.addEventListener('securitypolicyviolation', (event) => window.reportViolation(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber))",
      );

      const response = await page.goto(`${server.url}/admin/v1/docs`);
      assert.equal(response?.status(), 200);
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('.opblock').count(), routes.length, 'one block per operation');
      for (const route of routes) {
        assert.equal(await page.locator('.opblock-summary-description', { hasText: route.summary }).count() > 0, true, route.summary);
      }
      // The response schemas are rendered (the Schemas section lists the components).
      await page.locator('.models').getByText('ClientWithSecret', { exact: true }).waitFor();

      const screenshot = process.env['TOLLGATE_API_REFERENCE_SCREENSHOT'];
      if (screenshot) await page.screenshot({ path: screenshot });

      // Try it: expand the operation, execute it without a token: the API's own 401 comes back into the page.
      const block = page.locator('.opblock', { has: page.locator('.opblock-summary-description', { hasText: listing.summary }) }).first();
      await block.locator('.opblock-summary').click();
      await block.getByText('Example Value').first().waitFor();
      await block.getByRole('button', { name: 'Try it out' }).click();
      await block.getByRole('button', { name: 'Execute' }).click();
      const status = block.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor({ timeout: 10_000 });
      assert.equal((await status.textContent())?.trim(), '401');
      assert.match(String(await block.locator('.live-responses-table tbody .response-col_description').first().textContent()), /invalid_token/);

      // Authorize (client_credentials at the issuer's /token, called from the page), then the same call succeeds.
      // The browser sends Origin, so the admin client must list the page's origin (clientBasedCORS).
      const { client, clientSecret } = await server.registry.clients.create({
        name: 'docs-admin', tenant: 'tollgate', resources: [ADMIN_AUDIENCE], scopes: [ADMIN_SCOPE], cors_origins: [new URL(server.url).origin],
      });
      const admin = { clientId: client.clientId, clientSecret };
      await page.getByRole('button', { name: 'Authorize' }).first().click();
      const dialog = page.locator('.modal-ux');
      await dialog.locator('input[id^="client_id"]').fill(admin.clientId);
      await dialog.locator('input[id^="client_secret"]').fill(admin.clientSecret);
      await dialog.getByText('tollgate:admin', { exact: true }).first().click();
      await dialog.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
      await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor({ timeout: 10_000 });
      await dialog.getByRole('button', { name: 'Close' }).click();
      await block.getByRole('button', { name: 'Execute' }).click();
      await block.locator('.live-responses-table tbody .response-col_status', { hasText: '200' }).waitFor({ timeout: 10_000 });
    } finally {
      await chromium.close();
    }
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation and no page error');
  });
});
