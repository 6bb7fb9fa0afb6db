import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seedApps, type AppFixture } from './fixture.js';

describe('authorization: a resume URL without its cookie, and a missing redirect_uri', () => {
  let server: TestServer;
  let apps: AppFixture;
  before(async () => {
    server = await startTestServer('sqlite');
    apps = await seedApps(server);
  });
  after(() => server?.stop());

  // Found by the fuzz test (test/fuzz/endpoints.test.ts): the resume route's
  // error handler read the redirect_uri of parameters it never parsed.
  test('GET /auth/<uid>?client_id=<a real client> with no interaction cookie is a 400, not a 500', async () => {
    for (const clientId of [apps.webClient.clientId, apps.publicClientId]) {
      for (const path of ['/auth/no-such-uid', '/auth/x%ED%A0%80y']) {
        const response = await fetch(`${server.url}${path}?client_id=${clientId}&response_type=code&scope=openid`, { redirect: 'manual' });
        assert.equal(response.status, 400, `${path} for ${clientId}`);
        const body = (await response.json()) as { error: string; error_description: string };
        assert.equal(body.error, 'invalid_request');
        assert.match(body.error_description, /expired/);
      }
    }
  });

  test('an authorization request without redirect_uri is refused, though the client registered only one', async () => {
    const url = `${server.url}/auth?${new URLSearchParams({
      client_id: apps.publicClientId,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    })}`;
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null, 'no redirect to a URI the request did not name');
    const body = (await response.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /redirect_uri/);
  });
});
