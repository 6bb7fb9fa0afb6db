import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The methods an `Allow` header lists. */
const allowed = (response: Response) => new Set((response.headers.get('allow') ?? '').split(',').map((method) => method.trim()).filter(Boolean));

describe("Tollgate's own endpoints on one router", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server?.stop());

  test('a known path asked with a wrong method is 405 with Allow: health, readiness, metrics', async () => {
    for (const [method, path] of [['POST', '/healthz'], ['DELETE', '/readyz'], ['PUT', '/metrics']] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.deepEqual(allowed(response), new Set(['HEAD', 'GET']), `${method} ${path}`);
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: `${method} is not allowed here` });
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  test('admin API: 405 with the path\'s own methods in Allow, before any authentication', async () => {
    const clients = await fetch(`${server.url}/admin/v1/clients`, { method: 'DELETE' });
    assert.equal(clients.status, 405);
    assert.deepEqual(allowed(clients), new Set(['HEAD', 'GET', 'POST']));
    const one = await fetch(`${server.url}/admin/v1/clients/some-client`, { method: 'PUT' });
    assert.equal(one.status, 405);
    assert.ok(allowed(one).has('PATCH') && allowed(one).has('GET') && !allowed(one).has('PUT'), [...allowed(one)].join(', '));
    const document = await fetch(`${server.url}/admin/v1/openapi.json`, { method: 'POST' });
    assert.equal(document.status, 405);
    assert.deepEqual(allowed(document), new Set(['HEAD', 'GET']));
  });

  test('sign-in pages: the prompt is GET only, its actions POST only', async () => {
    const login = await fetch(`${server.url}/interaction/abc123/login`, { redirect: 'manual' });
    assert.equal(login.status, 405);
    assert.deepEqual(allowed(login), new Set(['POST']));
    const prompt = await fetch(`${server.url}/interaction/abc123`, { method: 'POST' });
    assert.equal(prompt.status, 405);
    assert.deepEqual(allowed(prompt), new Set(['HEAD', 'GET']));
  });

  test('unknown paths keep their 404s: the admin API its own, everything else the JSON 404 after oidc-provider', async () => {
    const admin = await fetch(`${server.url}/admin/v1/no-such-thing`, { method: 'DELETE' });
    assert.equal(admin.status, 404);
    assert.equal(admin.headers.get('allow'), null);
    assert.deepEqual(await admin.json(), { error: 'not_found', error_description: 'no such admin endpoint' });
    for (const path of ['/no-such-endpoint', '/Healthz', '/healthz/', '//healthz', '/interaction/not%20an%20id']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('allow'), null, path);
      assert.deepEqual(await response.json(), { error: 'not_found', error_description: 'no such endpoint' }, path);
    }
  });
});
