import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, REPORTS_API, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

for (const variant of databaseVariants) {
  describe(`client_credentials end to end (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let machine: MachineClient;
    let as: oauth.AuthorizationServer;

    before(async () => {
      server = await startTestServer(variant.kind);
      machine = await seedMachineClient(server);
      const issuer = new URL(server.issuer);
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    });
    after(() => server?.stop());

    async function requestToken(
      params: Record<string, string>,
      auth: oauth.ClientAuth = oauth.ClientSecretBasic(machine.clientSecret),
      clientId = machine.clientId,
    ) {
      const client: oauth.Client = { client_id: clientId };
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(params), insecure);
      return oauth.processClientCredentialsResponse(as, client, response);
    }

    async function expectOAuthError(promise: Promise<unknown>, status: number, error: string) {
      await assert.rejects(promise, (thrown: unknown) => {
        assert.ok(thrown instanceof oauth.ResponseBodyError, `expected an OAuth error response, got ${String(thrown)}`);
        assert.equal(thrown.status, status);
        assert.equal(thrown.error, error);
        return true;
      });
    }

    test('issues an RFC 9068 JWT carrying tenant, roles and the requested scope, verifiable through /jwks', async () => {
      const token = await requestToken({ scope: 'read:projects', resource: API });
      assert.equal(token.token_type, 'bearer');
      assert.equal(token.expires_in, 900);
      assert.equal(token.scope, 'read:projects');

      const header = decodeProtectedHeader(token.access_token);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(header.alg, 'ES256');
      assert.ok(header.kid);

      const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
      const { payload } = await jwtVerify(token.access_token, jwks, { issuer: server.issuer, audience: API, typ: 'at+jwt' });
      assert.equal(payload.sub, machine.clientId);
      assert.equal(payload['client_id'], machine.clientId);
      assert.equal(payload['scope'], 'read:projects');
      assert.equal(payload['tenant_id'], machine.tenantId);
      assert.equal(payload['tenant'], 'acme');
      assert.deepEqual(payload['roles'], ['reader']);
      assert.equal(payload.exp! - payload.iat!, 900);
      assert.match(String(payload.jti), /.{16,}/);
    });

    test('client_secret_post works as well as client_secret_basic', async () => {
      const token = await requestToken({ scope: 'write:projects', resource: API }, oauth.ClientSecretPost(machine.clientSecret));
      assert.equal(token.scope, 'write:projects');
    });

    test('a client with exactly one resource server may omit `resource`', async () => {
      const token = await requestToken({ scope: 'read:projects' });
      const { payload } = await jwtVerify(token.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { audience: API });
      assert.equal(payload.aud, API);
    });

    test('a client with several resource servers must name one: invalid_target', async () => {
      const multi = await seedMachineClient(server, { resources: [API, REPORTS_API], scopes: ['read:projects', 'read:reports'] });
      await expectOAuthError(requestToken({ scope: 'read:reports' }, oauth.ClientSecretBasic(multi.clientSecret), multi.clientId), 400, 'invalid_target');
      const token = await requestToken({ scope: 'read:reports', resource: REPORTS_API }, oauth.ClientSecretBasic(multi.clientSecret), multi.clientId);
      assert.equal(token.scope, 'read:reports');
    });

    test('a resource the client is not allowed, or that does not exist: invalid_target', async () => {
      await expectOAuthError(requestToken({ resource: REPORTS_API }), 400, 'invalid_target');
      await expectOAuthError(requestToken({ resource: 'https://nowhere.example' }), 400, 'invalid_target');
      await expectOAuthError(requestToken({ resource: 'not a uri' }), 400, 'invalid_target');
    });

    test('a scope outside the client\'s allowed scopes, or unknown, is refused with invalid_scope (not dropped)', async () => {
      const readOnly = await seedMachineClient(server, { scopes: ['read:projects'] });
      await expectOAuthError(
        requestToken({ scope: 'read:projects write:projects', resource: API }, oauth.ClientSecretBasic(readOnly.clientSecret), readOnly.clientId),
        400,
        'invalid_scope',
      );
      await expectOAuthError(requestToken({ scope: 'read:projects delete:everything', resource: API }), 400, 'invalid_scope');
    });

    test('a wrong secret and an unknown client get the same 401 invalid_client body', async () => {
      const url = `${server.url}/token`;
      const form = { grant_type: 'client_credentials', resource: API };
      const wrong = await postForm(url, form, { clientId: machine.clientId, clientSecret: 'not-the-secret' });
      const unknown = await postForm(url, form, { clientId: '00000000-0000-4000-8000-000000000000', clientSecret: 'whatever' });
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      assert.equal(wrong.body['error'], 'invalid_client');
      assert.deepEqual(unknown.body, wrong.body);
    });

    test('malformed requests get RFC 6749 errors, never a 5xx', async () => {
      const url = `${server.url}/token`;
      const auth = { clientId: machine.clientId, clientSecret: machine.clientSecret };
      const cases: [Record<string, string>, typeof auth | undefined, number, string][] = [
        [{}, auth, 400, 'invalid_request'],
        [{ grant_type: 'password', username: 'a', password: 'b' }, auth, 400, 'unsupported_grant_type'],
        [{ grant_type: 'client_credentials' }, undefined, 400, 'invalid_request'],
        [{ grant_type: 'client_credentials', resource: 'https://api.acme.test\u0000x' }, auth, 400, 'invalid_target'],
        [{ grant_type: 'client_credentials', scope: 'read:projects\u0000' }, auth, 400, 'invalid_scope'],
      ];
      for (const [form, credentials, status, error] of cases) {
        const response = await postForm(url, form, credentials);
        assert.equal(response.status, status, `${JSON.stringify(form)} → ${JSON.stringify(response.body)}`);
        assert.equal(response.body['error'], error);
      }
      const nul = await postForm(url, { grant_type: 'client_credentials' }, { clientId: 'abc\u0000def', clientSecret: 'x' });
      assert.ok(nul.status === 400 || nul.status === 401, `NUL client_id → ${nul.status}`);
      const nulPost = await postForm(url, { grant_type: 'client_credentials', client_id: 'abc\u0000', client_secret: 'x' });
      assert.ok(nulPost.status === 400 || nulPost.status === 401, `NUL client_id (post) → ${nulPost.status}`);
    });

    test('a body over the limit is refused with 413 before it is read', async () => {
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', padding: 'x'.repeat(65 * 1024) });
      assert.equal(response.status, 413);
      assert.equal(response.body['error'], 'request_too_large');
    });

    test('every advertised URL derives from ISSUER, whatever Host or X-Forwarded-Host say', async () => {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const response = await fetch(`${server.url}${path}`, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
        assert.equal(response.status, 200);
        const metadata = (await response.json()) as Record<string, unknown>;
        assert.equal(metadata['issuer'], server.issuer);
        assert.equal(metadata['jwks_uri'], `${server.issuer}/jwks`);
        assert.equal(metadata['token_endpoint'], `${server.issuer}/token`);
        assert.equal(metadata['introspection_endpoint'], `${server.issuer}/token/introspection`);
        assert.doesNotMatch(JSON.stringify(metadata), /evil\.example/);
      }
    });

    test('/jwks publishes public keys only: the active key and the pre-published next key', async () => {
      const response = await fetch(`${server.url}/jwks`);
      const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
      assert.equal(keys.length, 2);
      for (const key of keys) {
        assert.equal(key['d'], undefined);
        assert.equal(key['kty'], 'EC');
        assert.ok(key['kid']);
      }
    });

    test('an opaque-format resource server gets opaque tokens that introspect as active', async () => {
      await server.registry.resources.create({ audience: 'https://opaque.acme.test', scopes: ['ping'], token_format: 'opaque', access_token_ttl: 120, tenant: 'acme' });
      const opaque = await seedMachineClient(server, { resources: ['https://opaque.acme.test'], scopes: ['ping'] });
      const token = await requestToken({ scope: 'ping' }, oauth.ClientSecretBasic(opaque.clientSecret), opaque.clientId);
      assert.equal(token.expires_in, 120);
      assert.throws(() => decodeProtectedHeader(token.access_token));
      const introspection = await postForm(`${server.url}/token/introspection`, { token: token.access_token }, opaque);
      assert.equal(introspection.status, 200);
      assert.equal(introspection.body['active'], true);
      assert.equal(introspection.body['tenant_id'], opaque.tenantId);
      assert.equal(introspection.body['scope'], 'ping');
    });
  });
}

describe('the host outside oidc-provider\'s routes', () => {
  test('unknown paths and methods get a JSON 404; health endpoints answer', async () => {
    const server = await startTestServer('sqlite');
    try {
      for (const [method, path] of [['GET', '/nope'], ['GET', '/token'], ['PUT', '/jwks']] as const) {
        const response = await fetch(`${server.url}${path}`, { method });
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.deepEqual(await response.json(), { error: 'not_found', error_description: 'no such endpoint' });
      }
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.deepEqual(await (await fetch(`${server.url}/readyz`)).json(), { status: 'ready', checked: ['database'] });
      const response = await fetch(`${server.url}/healthz`);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    } finally {
      await server.stop();
    }
  });
});
