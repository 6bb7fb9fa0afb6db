import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closedPort, startTestServer } from '../helpers/server.js';

const redisUrl = process.env['TEST_REDIS_URL'];

describe('/readyz and Redis', () => {
  test('without REDIS_URL only the database is checked', async () => {
    const server = await startTestServer('sqlite');
    try {
      const response = await fetch(`${server.url}/readyz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ready', checked: ['database'] });
    } finally {
      await server.stop();
    }
  });

  test('a Redis that refuses connections makes the server not ready, quickly, with Retry-After', async () => {
    const server = await startTestServer('sqlite', { env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` } });
    try {
      const started = performance.now();
      const response = await fetch(`${server.url}/readyz`);
      const elapsed = performance.now() - started;
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { error: 'temporarily_unavailable', error_description: 'redis unavailable' });
      assert.equal(response.headers.get('retry-after'), '5');
      assert.ok(elapsed < 1_500, `/readyz took ${elapsed.toFixed(0)} ms`);
      // Liveness is not readiness: the process is fine and must not be restarted.
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('with a live Redis both dependencies are checked', { skip: redisUrl ? false : 'Redis case skipped: TEST_REDIS_URL is not set' }, async () => {
    const server = await startTestServer('sqlite', { env: { REDIS_URL: redisUrl! } });
    try {
      const response = await fetch(`${server.url}/readyz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ready', checked: ['database', 'redis'] });
    } finally {
      await server.stop();
    }
  });
});
