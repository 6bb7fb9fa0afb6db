import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { createVerifier, type Principal } from '@tollgate/resource-server';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { discover, expectOAuthError, insecure, seedClient } from './key-clients.js';

const OPAQUE_API = 'https://opaque.acme.test';

/** The headers oauth4webapi would send for `method url` with this DPoP key, captured instead of sent. */
async function captureRequest(dpop: oauth.DPoPHandle, accessToken: string, method: string, url: string): Promise<{ authorization: string; dpop: string }> {
  let captured: Headers | undefined;
  await oauth.protectedResourceRequest(accessToken, method, new URL(url), new Headers(), null, {
    ...insecure,
    DPoP: dpop,
    [oauth.customFetch]: async (_url, init) => {
      captured = new Headers(init.headers);
      return new Response('{}', { status: 200 });
    },
  });
  return { authorization: captured!.get('authorization')!, dpop: captured!.get('dpop')! };
}

for (const variant of databaseVariants) {
  describe(`DPoP-bound access tokens (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let machine: MachineClient;
    let as: oauth.AuthorizationServer;
    let service: Server;
    let serviceUrl: string;

    before(async () => {
      server = await startTestServer(variant.kind);
      machine = await seedMachineClient(server);
      await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['read:things'], token_format: 'opaque', tenant: 'acme' });
      as = await discover(server);

      const app = new Koa();
      app.use(createVerifier({ issuer: server.issuer, audience: API }).koa());
      app.use((ctx) => {
        const principal = ctx.state['principal'] as Principal;
        ctx.body = { subject: principal.subject, scopes: principal.scopes };
      });
      service = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => service.once('listening', resolve));
      serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    });
    after(async () => {
      service?.close();
      await server?.stop();
    });

    const dpopKey = async () => {
      const keyPair = await generateKeyPair('ES256');
      return { keyPair, handle: oauth.DPoP({}, keyPair), jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) };
    };

    const boundToken = async (handle: oauth.DPoPHandle, clientId = machine.clientId, secret = machine.clientSecret, resource = API) => {
      const client: oauth.Client = { client_id: clientId };
      const params = new URLSearchParams({ resource, scope: resource === API ? 'read:projects' : 'read:things' });
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), params, { ...insecure, DPoP: handle });
      return oauth.processClientCredentialsResponse(as, client, response);
    };

    test('discovery advertises the DPoP proof algorithms', () => {
      assert.ok(as.dpop_signing_alg_values_supported?.includes('ES256'));
    });

    test('a token request with a DPoP proof gets a DPoP token bound to the key (cnf.jkt)', async () => {
      const { handle, jkt } = await dpopKey();
      const token = await boundToken(handle);
      assert.equal(token.token_type, 'dpop');
      assert.deepEqual(decodeJwt(token.access_token)['cnf'], { jkt });
    });

    test('server nonces: offered with each answer, accepted in the next proof, and a wrong one gets use_dpop_nonce', async () => {
      const { handle, keyPair } = await dpopKey();
      const { dpop } = await captureTokenProof(handle);
      const first = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine, { dpop });
      assert.equal(first.status, 200);
      const nonce = first.headers.get('dpop-nonce') ?? '';
      assert.match(nonce, /.{16,}/, 'the server offers a nonce for the next proof');

      const proof = async (withNonce: string) =>
        new SignJWT({ htm: 'POST', htu: `${server.issuer}/token`, jti: randomUUID(), nonce: withNonce })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keyPair.publicKey) })
          .setIssuedAt()
          .sign(keyPair.privateKey);
      const withNonce = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine, { dpop: await proof(nonce) });
      assert.equal(withNonce.status, 200);
      const wrongNonce = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine, { dpop: await proof('made-up') });
      assert.equal(wrongNonce.status, 400);
      assert.equal(wrongNonce.body['error'], 'use_dpop_nonce');
      assert.match(wrongNonce.headers.get('dpop-nonce') ?? '', /.{16,}/);
    });

    // A proof for the token endpoint, captured from oauth4webapi.
    async function captureTokenProof(handle: oauth.DPoPHandle): Promise<{ dpop: string }> {
      let proof = '';
      await oauth.clientCredentialsGrantRequest(as, { client_id: machine.clientId }, oauth.ClientSecretBasic(machine.clientSecret), new URLSearchParams(), {
        ...insecure,
        DPoP: handle,
        [oauth.customFetch]: async (_url, init) => {
          proof = new Headers(init.headers).get('dpop')!;
          return new Response('{}', { status: 400 });
        },
      });
      return { dpop: proof };
    }

    test('a DPoP proof replayed at the token endpoint is refused', async () => {
      const { handle } = await dpopKey();
      const { dpop } = await captureTokenProof(handle);
      const send = () => postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine, { dpop });
      assert.equal((await send()).status, 200);
      const replay = await send();
      assert.equal(replay.status, 400);
      assert.equal(replay.body['error'], 'invalid_grant');
    });

    test('a malformed proof at the token endpoint: invalid_dpop_proof', async () => {
      const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine, { dpop: 'not.a.proof' });
      assert.equal(refused.status, 400);
      assert.equal(refused.body['error'], 'invalid_dpop_proof');
    });

    test('a client registered with dpop_bound_access_tokens gets no token without a proof: invalid_dpop_proof, saying one is required', async () => {
      const bound = await seedClient(server, { dpop_bound_access_tokens: true });
      const client: oauth.Client = { client_id: bound.clientId };
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(bound.clientSecret!), new URLSearchParams({ resource: API }), insecure);
      await expectOAuthError(oauth.processClientCredentialsResponse(as, client, response), 400, 'invalid_dpop_proof', /^a DPoP proof is required\b/);
      const { handle } = await dpopKey();
      assert.equal((await boundToken(handle, bound.clientId, bound.clientSecret!)).token_type, 'dpop');
    });

    test('the resource server accepts a bound token with a valid proof', async () => {
      const { handle } = await dpopKey();
      const token = await boundToken(handle);
      const response = await oauth.protectedResourceRequest(token.access_token, 'GET', new URL(`${serviceUrl}/projects?page=2`), new Headers(), null, { ...insecure, DPoP: handle });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { subject: machine.clientId, scopes: ['read:projects'] });
    });

    test('the resource server refuses a bound token without a proof, with a proof for another method or URL, and a replayed proof', async () => {
      const { handle } = await dpopKey();
      const token = await boundToken(handle);
      const call = (headers: Record<string, string>, method = 'GET') => fetch(`${serviceUrl}/projects`, { method, headers });

      const noProof = await call({ authorization: `DPoP ${token.access_token}` });
      assert.equal(noProof.status, 401);
      assert.equal(((await noProof.json()) as { error: string }).error, 'invalid_dpop_proof');
      assert.match(noProof.headers.get('www-authenticate') ?? '', /^DPoP .*error="invalid_dpop_proof".*algs="ES256/);

      const forPost = await captureRequest(handle, token.access_token, 'POST', `${serviceUrl}/projects`);
      const wrongMethod = await call(forPost);
      assert.equal(wrongMethod.status, 401);
      assert.match(wrongMethod.headers.get('www-authenticate') ?? '', /error="invalid_dpop_proof", error_description="DPoP proof htm/);

      const forOther = await captureRequest(handle, token.access_token, 'GET', `${serviceUrl}/admin`);
      const wrongUrl = await call(forOther);
      assert.equal(wrongUrl.status, 401);
      assert.match(wrongUrl.headers.get('www-authenticate') ?? '', /error_description="DPoP proof htu/);

      const proof = await captureRequest(handle, token.access_token, 'GET', `${serviceUrl}/projects`);
      assert.equal((await call(proof)).status, 200);
      const replay = await call(proof);
      assert.equal(replay.status, 401);
      assert.match(replay.headers.get('www-authenticate') ?? '', /error_description="DPoP proof was already used"/);
    });

    test('a proof from another key does not unlock a stolen bound token', async () => {
      const owner = await dpopKey();
      const thief = await dpopKey();
      const token = await boundToken(owner.handle);
      const stolen = await captureRequest(thief.handle, token.access_token, 'GET', `${serviceUrl}/projects`);
      const response = await fetch(`${serviceUrl}/projects`, { headers: stolen });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /does not match the token binding/);
    });

    test('a bound token presented as a plain Bearer token is invalid_token with a DPoP challenge', async () => {
      const { handle } = await dpopKey();
      const token = await boundToken(handle);
      const response = await fetch(`${serviceUrl}/projects`, { headers: { authorization: `Bearer ${token.access_token}` } });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_token');
      assert.match(response.headers.get('www-authenticate') ?? '', /^DPoP .*error="invalid_token"/);
    });

    test('an unbound token is still a Bearer token, and refused under the DPoP scheme', async () => {
      const plain = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, machine);
      const token = String(plain.body['access_token']);
      assert.equal((await fetch(`${serviceUrl}/projects`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const asDpop = await fetch(`${serviceUrl}/projects`, { headers: { authorization: `DPoP ${token}` } });
      assert.equal(asDpop.status, 401);
      assert.equal(((await asDpop.json()) as { error: string }).error, 'invalid_token');
    });

    test('introspection shows the binding (cnf, token_type DPoP) for JWT and opaque tokens', async () => {
      const { handle, jkt } = await dpopKey();
      const opaqueClient = await seedClient(server, { resources: [OPAQUE_API], scopes: ['read:things'] });
      for (const [token, caller] of [
        [(await boundToken(handle)).access_token, machine],
        [(await boundToken(handle, opaqueClient.clientId, opaqueClient.clientSecret!, OPAQUE_API)).access_token, { clientId: opaqueClient.clientId, clientSecret: opaqueClient.clientSecret! }],
      ] as const) {
        const introspected = await postForm(`${server.url}/token/introspection`, { token }, caller);
        assert.equal(introspected.status, 200);
        assert.equal(introspected.body['active'], true);
        assert.deepEqual(introspected.body['cnf'], { jkt });
        assert.equal(String(introspected.body['token_type']).toLowerCase(), 'dpop');
      }
    });
  });
}
