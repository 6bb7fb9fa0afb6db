import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireScopes } from '../src/index.js';
import type { ExpressMiddleware } from '../src/index.js';
import { runExpress } from './helpers/fake-http.js';
import { API_KEY, startFixture } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';

describe('Express middleware', () => {
  let fixture: Fixture;

  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.close());

  it('stores the principal in req.principal and calls next()', async () => {
    const outcome = await runExpress(fixture.verifier.express(), { headers: { authorization: `Bearer ${await fixture.token()}` } });
    assert.equal(outcome.nextCalled, true);
    assert.equal(outcome.nextError, undefined);
    assert.equal(outcome.req.principal?.type, 'access_token');
    assert.equal(outcome.req.principal?.tenant, 'acme');
    assert.equal(outcome.res.body, undefined);
  });

  it('accepts an API key in X-API-Key', async () => {
    const outcome = await runExpress(fixture.verifier.express(), { headers: { 'x-api-key': API_KEY } });
    assert.equal(outcome.req.principal?.type, 'api_key');
  });

  it('answers 401 with a JSON body and a challenge for an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const outcome = await runExpress(fixture.verifier.express(), { headers: { authorization: `Bearer ${await fixture.token({ exp: now - 60, iat: now - 960 })}` } });
    assert.equal(outcome.nextCalled, false);
    assert.equal(outcome.res.statusCode, 401);
    assert.equal(outcome.res.headers.get('www-authenticate'), 'Bearer realm="https://api.acme.test", error="invalid_token", error_description="token has expired"');
    assert.equal(outcome.res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(outcome.res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(JSON.parse(outcome.res.body ?? ''), { error: 'invalid_token', error_description: 'token has expired' });
    assert.equal(outcome.req.principal, undefined);
  });

  it('answers 401 with a bare challenge when no credential is presented', async () => {
    const outcome = await runExpress(fixture.verifier.express(), { headers: {} });
    assert.equal(outcome.res.statusCode, 401);
    assert.equal(outcome.res.headers.get('www-authenticate'), 'Bearer realm="https://api.acme.test"');
  });

  it('passes an unexpected failure to next(err) instead of answering', async () => {
    const broken = { get authorization(): string { throw new Error('boom'); } };
    const outcome = await runExpress(fixture.verifier.express(), { headers: broken });
    assert.equal(outcome.nextCalled, true);
    assert.ok(outcome.nextError instanceof Error && outcome.nextError.message === 'boom');
  });

  describe('requireScopes (the same function as for Koa)', () => {
    const authenticated = async (scope: string) => {
      const outcome = await runExpress(fixture.verifier.express(), { headers: { authorization: `Bearer ${await fixture.token({ scope })}` } });
      return outcome.req;
    };
    const guard = (...scopes: string[]): ExpressMiddleware => requireScopes(...scopes);

    it('calls next() when the scope was granted', async () => {
      const outcome = await runExpress(guard('write:projects'), await authenticated('write:projects'));
      assert.equal(outcome.nextCalled, true);
      assert.equal(outcome.nextError, undefined);
    });

    it('answers 403 insufficient_scope with scope= the required scopes', async () => {
      const outcome = await runExpress(guard('write:projects'), await authenticated('read:projects'));
      assert.equal(outcome.nextCalled, false);
      assert.equal(outcome.res.statusCode, 403);
      assert.equal(
        outcome.res.headers.get('www-authenticate'),
        'Bearer realm="https://api.acme.test", error="insufficient_scope", error_description="the request requires scopes that were not granted", scope="write:projects"',
      );
      assert.deepEqual(JSON.parse(outcome.res.body ?? ''), { error: 'insufficient_scope', error_description: 'the request requires scopes that were not granted' });
    });

    it('answers 401 when the request was never authenticated', async () => {
      const outcome = await runExpress(guard('write:projects'), { headers: {} });
      assert.equal(outcome.res.statusCode, 401);
    });
  });
});
