import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { OIDC_MODELS_TABLE } from '../../adapters/knex-adapter.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, startTestServer, type TestServer } from '../helpers/server.js';
import { clientKey, discover, expectOAuthError, insecure, seedClient, serveJwks } from './key-clients.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

for (const variant of databaseVariants) {
  describe(`private_key_jwt client authentication (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let as: oauth.AuthorizationServer;

    before(async () => {
      // The jwks_uri test serves its keys on 127.0.0.1, which the SSRF guard refuses by default.
      server = await startTestServer(variant.kind, { env: { TOLLGATE_JWKS_URI_PRIVATE_NETWORK: 'allow' } });
      await seedClient(server);
      as = await discover(server);
    });
    after(() => server?.stop());

    const requestToken = async (clientId: string, auth: oauth.ClientAuth, params: Record<string, string> = { resource: API }) => {
      const client: oauth.Client = { client_id: clientId };
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(params), insecure);
      return oauth.processClientCredentialsResponse(as, client, response);
    };

    const assertion = (key: Awaited<ReturnType<typeof clientKey>>, clientId: string, jti: string) =>
      new SignJWT({ jti })
        .setProtectedHeader({ alg: 'ES256', kid: key.publicJwk.kid! })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(server.issuer)
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(key.privateKey);

    test('discovery advertises private_key_jwt with asymmetric algorithms only', () => {
      assert.ok(as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
      assert.ok(as.token_endpoint_auth_methods_supported?.includes('client_secret_basic'));
      assert.ok(!as.token_endpoint_auth_methods_supported?.includes('client_secret_jwt'));
      assert.ok(as.token_endpoint_auth_signing_alg_values_supported?.every((alg) => !alg.startsWith('HS')));
    });

    test('a client with an inline JWKS gets a token with a signed assertion, and no secret exists for it', async () => {
      const key = await clientKey();
      const created = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
      assert.equal(created.clientSecret, undefined);
      const token = await requestToken(created.clientId, key.auth);
      assert.equal(token.token_type, 'bearer');
      const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims['client_id'], created.clientId);
      assert.equal(claims['tenant'], 'acme');
    });

    test('an assertion replayed is refused (invalid_client), and the jti is held in the adapter', async () => {
      const key = await clientKey();
      const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
      const form = { grant_type: 'client_credentials', resource: API, client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(key, clientId, 'once-only') };
      const first = await postForm(`${server.url}/token`, form);
      assert.equal(first.status, 200);
      const replay = await postForm(`${server.url}/token`, form);
      assert.equal(replay.status, 401);
      assert.equal(replay.body['error'], 'invalid_client');
      const rows = await server.database.knex(OIDC_MODELS_TABLE).where({ model: 'ReplayDetection' });
      assert.ok(rows.some((row: { payload: string | object }) => JSON.stringify(row.payload).includes(clientId)), 'a ReplayDetection row names the client');
    });

    test('a wrong key, another audience, or a secret instead of an assertion: invalid_client', async () => {
      const key = await clientKey();
      const stranger = await clientKey(key.publicJwk.kid);
      const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
      await expectOAuthError(requestToken(clientId, stranger.auth), 401, 'invalid_client');
      const otherAudience = await new SignJWT({ jti: 'aud-test' })
        .setProtectedHeader({ alg: 'ES256', kid: key.publicJwk.kid! })
        .setIssuer(clientId).setSubject(clientId).setAudience('https://elsewhere.example').setIssuedAt().setExpirationTime('60s')
        .sign(key.privateKey);
      const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API, client_assertion_type: ASSERTION_TYPE, client_assertion: otherAudience });
      assert.equal(refused.status, 401);
      assert.equal(refused.body['error'], 'invalid_client');
      const withSecret = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, { clientId, clientSecret: 'not-a-secret' });
      assert.equal(withSecret.body['error'], 'invalid_client');
    });

    test('a jwks_uri client works: its keys are fetched from the URL and cached', async () => {
      const key = await clientKey();
      const jwks = await serveJwks(() => ({ keys: [key.publicJwk] }));
      try {
        const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwks.url });
        const token = await requestToken(clientId, key.auth);
        assert.ok(token.access_token);
        await requestToken(clientId, key.auth);
        assert.equal(jwks.fetches(), 1, 'the second assertion is verified from the cached key set');
      } finally {
        await jwks.close();
      }
    });

    test('a jwks_uri that does not answer with a key set: invalid_client, not a 500', async () => {
      const key = await clientKey();
      const jwks = await serveJwks(() => ({ keys: 'nope' }) as never);
      try {
        const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwks.url });
        await expectOAuthError(requestToken(clientId, key.auth), 401, 'invalid_client');
      } finally {
        await jwks.close();
      }
    });

    test('a jwks_uri that hangs or sends an oversized key set: invalid_client within the fetch timeout', async () => {
      const key = await clientKey();
      const hanging = await serveJwks('hang');
      const oversized = await serveJwks(() => ({ keys: [key.publicJwk], padding: 'x'.repeat(70 * 1024) }));
      try {
        const slow = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: hanging.url });
        const started = Date.now();
        await expectOAuthError(requestToken(slow.clientId, key.auth), 401, 'invalid_client');
        assert.ok(Date.now() - started < 4_000, 'the fetch gave up after its timeout');
        const big = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: oversized.url });
        await expectOAuthError(requestToken(big.clientId, key.auth), 401, 'invalid_client');
        assert.equal(oversized.fetches(), 1);
      } finally {
        await hanging.close();
        await oversized.close();
      }
    });

    test('the IP allow-list holds for private_key_jwt: from another address even a valid assertion is invalid_client', async () => {
      const key = await clientKey();
      const elsewhere = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, ip_allowlist: ['10.0.0.0/8'] });
      await expectOAuthError(requestToken(elsewhere.clientId, key.auth), 401, 'invalid_client');
      const here = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, ip_allowlist: ['127.0.0.1'] });
      assert.ok((await requestToken(here.clientId, key.auth)).access_token);
      await server.auditBatches.flush();
      const [refusal] = await server.audit.list({ type: 'token.refused', subject: elsewhere.clientId });
      assert.equal(refusal?.detail?.['reason'], 'ip_not_allowed');
    });

    test('registration refuses a private key in the JWKS, a key source on a secret client, and a missing key source', async () => {
      const key = await clientKey();
      const privateJwk = { ...key.publicJwk, d: 'c2VjcmV0' };
      await assert.rejects(seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [privateJwk] } }), /public keys only/);
      await assert.rejects(seedClient(server, { jwks: { keys: [key.publicJwk] } }), /only for private_key_jwt/);
      await assert.rejects(seedClient(server, { token_endpoint_auth_method: 'private_key_jwt' }), /exactly one of jwks and jwks_uri/);
      await assert.rejects(seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://keys.example.com/jwks' }), /https URL/);
    });
  });
}

for (const variant of databaseVariants) {
  describe(`private_key_jwt jwks_uri SSRF guard, the default (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant.kind);
    });
    after(() => server?.stop());

    test('a jwks_uri on a loopback address is not fetched: invalid_client', async () => {
      const key = await clientKey();
      const jwks = await serveJwks(() => ({ keys: [key.publicJwk] }));
      try {
        const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwks.url });
        const as = await discover(server);
        const client: oauth.Client = { client_id: clientId };
        const response = await oauth.clientCredentialsGrantRequest(as, client, key.auth, new URLSearchParams({ resource: API }), insecure);
        await expectOAuthError(oauth.processClientCredentialsResponse(as, client, response), 401, 'invalid_client');
        assert.equal(jwks.fetches(), 0, 'the guard refused the connection before any request was sent');
      } finally {
        await jwks.close();
      }
    });
  });
}
