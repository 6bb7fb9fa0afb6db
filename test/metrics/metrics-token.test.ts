import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { scrape } from './exposition.js';

describe('TOLLGATE_METRICS_TOKEN', () => {
  test('scrapes need the bearer token; anything else is a JSON 401 that does not echo it, and the token is never logged', async () => {
    const metricsToken = randomBytes(24).toString('base64url');
    const logLines: string[] = [];
    const server = await startTestServer('sqlite', { env: { TOLLGATE_METRICS_TOKEN: metricsToken }, logLines });
    try {
      for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Bearer ${metricsToken}x`, `Basic ${Buffer.from(`x:${metricsToken}`).toString('base64')}`, metricsToken]) {
        const response = await fetch(`${server.url}/metrics`, authorization ? { headers: { authorization } } : {});
        assert.equal(response.status, 401, `Authorization: ${authorization?.slice(0, 6)}…`);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
        const text = await response.text();
        assert.equal((JSON.parse(text) as { error: string }).error, 'invalid_token');
        assert.ok(!text.includes(metricsToken));
      }
      const { status, text } = await scrape(server.url, metricsToken);
      assert.equal(status, 200);
      assert.match(text, /^# HELP tollgate_/m);
      assert.ok(!text.includes(metricsToken), 'the token is not in the metrics');
      assert.ok(logLines.some((line) => line.includes('"/metrics"')), 'scrapes are logged');
      assert.ok(!logLines.some((line) => line.includes(metricsToken)), 'the token is in no log line');
    } finally {
      await server.stop();
    }
  });

  test('other endpoints are not behind the token', async () => {
    const server = await startTestServer('sqlite', { env: { TOLLGATE_METRICS_TOKEN: randomBytes(24).toString('base64url') } });
    try {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${server.url}/jwks`)).status, 200);
      const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'HEAD, GET');
    } finally {
      await server.stop();
    }
  });
});
