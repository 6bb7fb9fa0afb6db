import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';

const grant = { grant_type: 'client_credentials' };

for (const variant of databaseVariants) {
  describe(`client IP allow-lists at the token endpoint (${variant.kind})`, { skip: variant.skip }, () => {
    let direct: TestServer;
    let proxied: TestServer;
    before(async () => {
      direct = await startTestServer(variant.kind);
      // Behind one trusted proxy (this test's own loopback connection).
      proxied = await startTestServer(variant.kind, { sharing: direct, env: { TOLLGATE_TRUST_PROXY: '1' } });
    });
    after(async () => {
      await proxied?.stop();
      await direct?.stop();
    });

    test('the right secret from an address outside the allow-list is invalid_client; from inside it, a token', async () => {
      const elsewhere = await seedMachineClient(direct, { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
      const refused = await postForm(`${direct.url}/token`, grant, elsewhere);
      assert.equal(refused.status, 401);
      assert.equal(refused.body['error'], 'invalid_client');

      const here = await seedMachineClient(direct, { ipAllowlist: ['127.0.0.1/32'] });
      assert.equal((await postForm(`${direct.url}/token`, grant, here)).status, 200);
      const open = await seedMachineClient(direct);
      assert.equal((await postForm(`${direct.url}/token`, grant, open)).status, 200);
    });

    test('X-Forwarded-For decides only when TOLLGATE_TRUST_PROXY trusts the hop', async () => {
      const office = await seedMachineClient(direct, { ipAllowlist: ['203.0.113.0/24'] });
      const forwarded = { 'x-forwarded-for': '203.0.113.7' };
      // Spoofed header straight at a server that trusts no proxy: still 127.0.0.1.
      assert.equal((await postForm(`${direct.url}/token`, grant, office, forwarded)).status, 401);
      assert.equal((await postForm(`${proxied.url}/token`, grant, office, forwarded)).status, 200);
      assert.equal((await postForm(`${proxied.url}/token`, grant, office, { 'x-forwarded-for': '198.51.100.7' })).status, 401);
    });
  });
}

describe('CORS only for origins registered on the client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server?.stop());

  test('a registered origin gets Access-Control-Allow-Origin; any other origin is refused', async () => {
    const browser = await seedMachineClient(server, { corsOrigins: ['https://console.acme.test'] });
    const allowed = await postForm(`${server.url}/token`, grant, browser, { origin: 'https://console.acme.test' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://console.acme.test');

    const foreign = await postForm(`${server.url}/token`, grant, browser, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body['error'], 'invalid_request');
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal(foreign.body['access_token'], undefined);

    const machine = await seedMachineClient(server);
    const noOrigins = await postForm(`${server.url}/token`, grant, machine, { origin: 'https://console.acme.test' });
    assert.equal(noOrigins.status, 400);
    // Without an Origin header (every non-browser client) nothing changes.
    assert.equal((await postForm(`${server.url}/token`, grant, machine)).status, 200);
  });

  test('origins are validated when a client is created: exact origins, https (http only for loopback)', async () => {
    for (const bad of ['https://console.acme.test/', 'https://*.acme.test', 'http://console.acme.test', 'console.acme.test', 'https://a.test/path']) {
      await assert.rejects(seedMachineClient(server, { corsOrigins: [bad] }), (error: Error & { error?: string }) => {
        assert.equal(error.error, 'invalid_request', bad);
        assert.match(error.message, /cors_origins/);
        return true;
      });
    }
    await seedMachineClient(server, { corsOrigins: ['http://localhost:5173', 'https://console.acme.test:8443'] });
  });
});

describe('security headers', () => {
  test('nosniff and frame-deny everywhere, no-store on token responses, HSTS when the issuer is https', async () => {
    const server = await startTestServer('sqlite', { env: { ISSUER: 'https://auth.acme.test' } });
    try {
      const machine = await seedMachineClient(server);
      const token = await postForm(`${server.url}/token`, grant, machine);
      assert.equal(token.status, 200);
      assert.equal(token.headers.get('cache-control'), 'no-store');
      assert.equal(token.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(token.headers.get('x-frame-options'), 'DENY');
      assert.match(token.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
      const refused = await postForm(`${server.url}/token`, grant, { ...machine, clientSecret: 'wrong' });
      assert.equal(refused.headers.get('cache-control'), 'no-store');
    } finally {
      await server.stop();
    }
    const plain = await startTestServer('sqlite');
    try {
      const response = await fetch(`${plain.url}/jwks`);
      assert.equal(response.headers.get('strict-transport-security'), null, 'no HSTS over plain http');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
    } finally {
      await plain.stop();
    }
  });
});
