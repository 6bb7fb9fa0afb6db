import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier, requireScopes } from '../src/index.js';
import type { Principal } from '../src/index.js';
import { koaContext } from './helpers/fake-http.js';
import { API_KEY, startFixture } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';
import { startAuthorizationServer } from './helpers/authorization-server.js';
import { AUDIENCE } from './helpers/tokens.js';

describe('Koa middleware', () => {
  let fixture: Fixture;

  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.close());

  it('stores the principal in ctx.state.principal and calls next', async () => {
    const ctx = koaContext({ authorization: `Bearer ${await fixture.token()}` });
    let nextCalls = 0;
    await fixture.verifier.koa()(ctx, async () => {
      nextCalls += 1;
    });
    assert.equal(nextCalls, 1);
    const principal = ctx.state.principal as Principal;
    assert.equal(principal.type, 'access_token');
    assert.equal(principal.subject, 'client-7');
    assert.equal(ctx.status, 404, 'the response is left to the handlers');
  });

  it('accepts an API key in X-API-Key', async () => {
    const ctx = koaContext({ 'x-api-key': API_KEY });
    await fixture.verifier.koa()(ctx, async () => undefined);
    assert.equal((ctx.state.principal as Principal).type, 'api_key');
    assert.equal((ctx.state.principal as Principal).subject, 'key_k1');
  });

  it('answers 401 with a bare Bearer challenge when no credential is presented', async () => {
    const ctx = koaContext({});
    let nextCalled = false;
    await fixture.verifier.koa()(ctx, async () => {
      nextCalled = true;
    });
    assert.equal(nextCalled, false);
    assert.equal(ctx.status, 401);
    assert.equal(ctx.responseHeaders.get('www-authenticate'), 'Bearer realm="https://api.acme.test"');
    assert.deepEqual(ctx.body, { error: 'invalid_token', error_description: 'no bearer token or API key was presented' });
    assert.equal(ctx.state.principal, undefined);
  });

  it('answers 401 invalid_token for a bad token, without echoing it', async () => {
    const token = await fixture.token({ aud: 'https://other-api.test' });
    const ctx = koaContext({ authorization: `Bearer ${token}` });
    await fixture.verifier.koa()(ctx, async () => assert.fail('next must not be called'));
    assert.equal(ctx.status, 401);
    assert.equal(
      ctx.responseHeaders.get('www-authenticate'),
      'Bearer realm="https://api.acme.test", error="invalid_token", error_description="token aud claim is not accepted"',
    );
    assert.deepEqual(ctx.body, { error: 'invalid_token', error_description: 'token aud claim is not accepted' });
    assert.ok(!JSON.stringify(ctx.body).includes(token.split('.')[2] ?? token));
  });

  it('answers 401 for an inactive API key', async () => {
    const ctx = koaContext({ 'x-api-key': 'tg_test_k2_revoked_00' });
    await fixture.verifier.koa()(ctx, async () => assert.fail('next must not be called'));
    assert.equal(ctx.status, 401);
    assert.match(ctx.responseHeaders.get('www-authenticate') ?? '', /error="invalid_token", error_description="API key is not active"/);
  });

  it('answers 400 invalid_request for a repeated X-API-Key header', async () => {
    const ctx = koaContext({ 'x-api-key': [API_KEY, API_KEY] });
    await fixture.verifier.koa()(ctx, async () => assert.fail('next must not be called'));
    assert.equal(ctx.status, 400);
    assert.equal((ctx.body as { error: string }).error, 'invalid_request');
  });

  it('answers 503 without a challenge when the JWKS is unreachable', async () => {
    const gone = await startAuthorizationServer();
    const verifier = createVerifier({ issuer: gone.issuer, audience: AUDIENCE, jwksUri: `${gone.issuer}/jwks` });
    await gone.close();
    const ctx = koaContext({ authorization: `Bearer ${await fixture.token()}` });
    await verifier.koa()(ctx, async () => assert.fail('next must not be called'));
    assert.equal(ctx.status, 503);
    assert.equal(ctx.responseHeaders.has('www-authenticate'), false);
    assert.deepEqual(ctx.body, { error: 'temporarily_unavailable', error_description: 'the issuer signing keys could not be fetched' });
  });

  it('lets errors thrown further down the chain propagate instead of answering 401', async () => {
    const ctx = koaContext({ authorization: `Bearer ${await fixture.token()}` });
    const failure = new Error('handler failed');
    await assert.rejects(fixture.verifier.koa()(ctx, async () => {
      throw failure;
    }), (err: unknown) => err === failure);
    assert.equal(ctx.status, 404);
  });

  describe('requireScopes', () => {
    const authenticated = async (scope: string) => {
      const ctx = koaContext({ authorization: `Bearer ${await fixture.token({ scope })}` });
      await fixture.verifier.koa()(ctx, async () => undefined);
      return ctx;
    };

    it('calls next when every required scope was granted', async () => {
      const ctx = await authenticated('read:projects write:projects admin');
      let nextCalled = false;
      await requireScopes('write:projects', 'admin')(ctx, async () => {
        nextCalled = true;
      });
      assert.equal(nextCalled, true);
      assert.equal(ctx.status, 404);
    });

    it('answers 403 insufficient_scope naming all the required scopes when one is missing', async () => {
      const ctx = await authenticated('read:projects write:projects');
      let nextCalled = false;
      await requireScopes('write:projects', 'admin')(ctx, async () => {
        nextCalled = true;
      });
      assert.equal(nextCalled, false);
      assert.equal(ctx.status, 403);
      assert.equal(
        ctx.responseHeaders.get('www-authenticate'),
        'Bearer realm="https://api.acme.test", error="insufficient_scope", error_description="the request requires scopes that were not granted", scope="write:projects admin"',
      );
      assert.deepEqual(ctx.body, { error: 'insufficient_scope', error_description: 'the request requires scopes that were not granted' });
    });

    it('does not match scopes by prefix or substring', async () => {
      const ctx = await authenticated('write:projects:all read');
      await requireScopes('write:projects')(ctx, async () => assert.fail('next must not be called'));
      assert.equal(ctx.status, 403);
    });

    it('answers 401 when no verifier middleware ran before it', async () => {
      const ctx = koaContext({ authorization: `Bearer ${await fixture.token()}` });
      await requireScopes('read:projects')(ctx, async () => assert.fail('next must not be called'));
      assert.equal(ctx.status, 401);
    });
  });
});
