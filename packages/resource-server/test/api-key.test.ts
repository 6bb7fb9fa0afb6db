import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createVerifier } from '../src/index.js';
import type { VerifierOptions } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { startAuthorizationServer } from './helpers/authorization-server.js';
import type { FakeAuthorizationServer, IntrospectionAnswer } from './helpers/authorization-server.js';
import { AUDIENCE, frozenClock, nowSeconds } from './helpers/tokens.js';

const ACTIVE_KEY = 'tg_live_k7f3_Zm9vYmFyYmF6cXV4cXV1eA-_9c2';
const REVOKED_KEY = 'tg_live_k8a1_cmV2b2tlZHJldm9rZWRyZXZv_1d0';

describe('API keys (RFC 7662 introspection)', () => {
  let server: FakeAuthorizationServer;

  before(async () => {
    server = await startAuthorizationServer();
  });
  beforeEach(() => {
    server.discovery = { issuer: server.issuer, jwks_uri: `${server.issuer}/jwks`, introspection_endpoint: `${server.issuer}/token/introspection` };
    server.introspect = (form): IntrospectionAnswer => {
      if (form.get('token') === ACTIVE_KEY) {
        return { status: 200, body: { active: true, token_type: 'api_key', aud: AUDIENCE, sub: 'key_k7f3', tenant_id: 'tenant-42', tenant: 'acme', scope: 'read:projects', exp: nowSeconds() + 3600 } };
      }
      return { status: 200, body: { active: false } };
    };
  });
  after(() => server.close());

  const verifierWith = (introspection: Partial<NonNullable<VerifierOptions['introspection']>> = {}, extra: Partial<VerifierOptions> = {}) =>
    createVerifier({
      issuer: server.issuer,
      audience: AUDIENCE,
      introspection: { clientId: 'acme-api', clientSecret: 's3cr:et with space', ...introspection },
      ...extra,
    });

  it('returns the principal of an active key, asking with client_secret_basic and token_type_hint=api_key', async () => {
    const verifier = verifierWith();
    const before = server.introspectionRequests.length;
    const principal = await verifier.verify({ apiKey: ACTIVE_KEY });
    assert.equal(principal.type, 'api_key');
    assert.equal(principal.subject, 'key_k7f3');
    assert.equal(principal.tenantId, 'tenant-42');
    assert.equal(principal.tenant, 'acme');
    assert.deepEqual(principal.scopes, ['read:projects']);
    assert.deepEqual(principal.roles, []);
    assert.equal(principal.clientId, undefined);

    const request = server.introspectionRequests[before];
    assert.ok(request !== undefined);
    assert.equal(request.form.get('token'), ACTIVE_KEY);
    assert.equal(request.form.get('token_type_hint'), 'api_key');
    assert.equal(request.contentType, 'application/x-www-form-urlencoded');
    // RFC 6749 section 2.3.1: id and secret are form-urlencoded before base64.
    assert.equal(request.authorization, `Basic ${Buffer.from('acme-api:s3cr%3Aet+with+space').toString('base64')}`);
  });

  it('refuses an inactive key with ERR_INVALID_API_KEY (401)', async () => {
    const err = await rejectsWithCode(verifierWith().verify({ apiKey: REVOKED_KEY }), 'ERR_INVALID_API_KEY', 'API key is not active');
    assert.equal(err.status, 401);
    assert.match(err.wwwAuthenticate ?? '', /^Bearer realm="https:\/\/api\.acme\.test", error="invalid_token"/);
  });

  it('answers ERR_INTROSPECTION_FAILED (503), not "invalid key", when introspection answers 500', async () => {
    server.introspect = () => ({ status: 500, body: { error: 'server_error' } });
    const err = await rejectsWithCode(verifierWith().verify({ apiKey: ACTIVE_KEY }), 'ERR_INTROSPECTION_FAILED');
    assert.equal(err.status, 503);
  });

  it('answers ERR_INTROSPECTION_FAILED when the resource server\'s own credentials are refused (401)', async () => {
    server.introspect = () => ({ status: 401, body: { error: 'invalid_client' } });
    await rejectsWithCode(verifierWith().verify({ apiKey: ACTIVE_KEY }), 'ERR_INTROSPECTION_FAILED');
  });

  it('answers ERR_INTROSPECTION_FAILED for an answer that breaks the contract', async () => {
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'api_key' } });
    await rejectsWithCode(verifierWith().verify({ apiKey: ACTIVE_KEY }), 'ERR_INTROSPECTION_FAILED');
  });

  it('does not ask again within the back-off after a failure, and recovers after it', async (t) => {
    frozenClock(t);
    const verifier = verifierWith({}, { retryAfterFailure: 0.2 });
    server.introspect = () => ({ status: 502 });
    const before = server.requests.introspection;
    await rejectsWithCode(verifier.verify({ apiKey: ACTIVE_KEY }), 'ERR_INTROSPECTION_FAILED');
    await rejectsWithCode(verifier.verify({ apiKey: REVOKED_KEY }), 'ERR_INTROSPECTION_FAILED');
    assert.equal(server.requests.introspection, before + 1);
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'api_key', aud: AUDIENCE, sub: 'key_k7f3' } });
    t.mock.timers.tick(250);
    assert.equal((await verifier.verify({ apiKey: ACTIVE_KEY })).subject, 'key_k7f3');
  });

  it('caches an active key: the second call makes no request', async () => {
    const verifier = verifierWith();
    const before = server.requests.introspection;
    const first = await verifier.verify({ apiKey: ACTIVE_KEY });
    const second = await verifier.verify({ apiKey: ACTIVE_KEY });
    assert.equal(server.requests.introspection, before + 1);
    assert.equal(second, first);
    assert.ok(Object.isFrozen(second) && Object.isFrozen(second.scopes), 'a shared cached principal must be immutable');
  });

  it('caches an inactive key briefly', async (t) => {
    frozenClock(t);
    const verifier = verifierWith({ negativeCacheTtl: 0.2 });
    const before = server.requests.introspection;
    await rejectsWithCode(verifier.verify({ apiKey: REVOKED_KEY }), 'ERR_INVALID_API_KEY');
    await rejectsWithCode(verifier.verify({ apiKey: REVOKED_KEY }), 'ERR_INVALID_API_KEY');
    assert.equal(server.requests.introspection, before + 1);
    t.mock.timers.tick(250);
    await rejectsWithCode(verifier.verify({ apiKey: REVOKED_KEY }), 'ERR_INVALID_API_KEY');
    assert.equal(server.requests.introspection, before + 2);
  });

  it('asks again once the positive cache TTL has passed (so a revocation is seen)', async (t) => {
    frozenClock(t);
    const verifier = verifierWith({ cacheTtl: 0.2 });
    const before = server.requests.introspection;
    await verifier.verify({ apiKey: ACTIVE_KEY });
    t.mock.timers.tick(250);
    server.introspect = () => ({ status: 200, body: { active: false } });
    await rejectsWithCode(verifier.verify({ apiKey: ACTIVE_KEY }), 'ERR_INVALID_API_KEY');
    assert.equal(server.requests.introspection, before + 2);
  });

  it('never caches a key past its exp', async (t) => {
    frozenClock(t);
    const exp = nowSeconds() + 2;
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'api_key', aud: AUDIENCE, sub: 'key_k7f3', exp } });
    const verifier = verifierWith({ cacheTtl: 60 }, { clockTolerance: 0 });
    await verifier.verify({ apiKey: ACTIVE_KEY });
    t.mock.timers.tick(exp * 1000 - Date.now() + 50);
    await rejectsWithCode(verifier.verify({ apiKey: ACTIVE_KEY }), 'ERR_INVALID_API_KEY', 'API key has expired');
  });

  it('shares one request among concurrent checks of the same key', async () => {
    const verifier = verifierWith();
    const before = server.requests.introspection;
    const principals = await Promise.all(Array.from({ length: 10 }, () => verifier.verify({ apiKey: ACTIVE_KEY })));
    assert.equal(server.requests.introspection, before + 1);
    assert.ok(principals.every((principal) => principal.subject === 'key_k7f3'));
  });

  it('keeps active keys cached while a flood of unknown keys fills the negative cache', async () => {
    const verifier = verifierWith({ cacheSize: 5 });
    await verifier.verify({ apiKey: ACTIVE_KEY });
    for (let i = 0; i < 20; i += 1) await rejectsWithCode(verifier.verify({ apiKey: `tg_live_x${i}_bogus` }), 'ERR_INVALID_API_KEY');
    const before = server.requests.introspection;
    await verifier.verify({ apiKey: ACTIVE_KEY });
    assert.equal(server.requests.introspection, before);
  });

  it('refuses a key that is not a Tollgate key without asking', async () => {
    const verifier = verifierWith();
    const before = server.requests.introspection;
    for (const apiKey of ['sk_live_abc', 'tg_', 'tg_live abc', 'tg_live_"x', `tg_${'a'.repeat(300)}`]) {
      await rejectsWithCode(verifier.verify({ apiKey }), 'ERR_INVALID_API_KEY', 'API key is malformed');
    }
    assert.equal(server.requests.introspection, before);
  });

  it('refuses an active credential that is not an API key', async () => {
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'access_token', sub: 'client-7' } });
    await rejectsWithCode(verifierWith().verify({ apiKey: ACTIVE_KEY }), 'ERR_INVALID_API_KEY', 'credential is not an API key');
  });

  it('refuses a key whose introspection aud excludes this resource server', async () => {
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'api_key', sub: 'key_k7f3', aud: 'https://other-api.test' } });
    await rejectsWithCode(verifierWith().verify({ apiKey: ACTIVE_KEY }), 'ERR_INVALID_API_KEY', 'API key is not valid for this resource server');
  });

  it('refuses a key whose introspection answer names no audience (an API key is for named resource servers only)', async () => {
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'api_key', sub: 'key_k7f3', scope: 'tollgate:admin write:secrets' } });
    await rejectsWithCode(verifierWith().verify({ apiKey: ACTIVE_KEY }), 'ERR_INVALID_API_KEY', 'API key is not valid for this resource server');
  });

  it('accepts a key whose aud list contains this resource server', async () => {
    server.introspect = () => ({ status: 200, body: { active: true, token_type: 'api_key', sub: 'key_k7f3', aud: ['https://other-api.test', AUDIENCE] } });
    assert.equal((await verifierWith().verify({ apiKey: ACTIVE_KEY })).subject, 'key_k7f3');
  });

  it('with the tenant option, refuses a key of another tenant (ERR_WRONG_TENANT, 403) and accepts its own by slug or id', async () => {
    const err = await rejectsWithCode(verifierWith({}, { tenant: 'globex' }).verify({ apiKey: ACTIVE_KEY }), 'ERR_WRONG_TENANT');
    assert.equal(err.status, 403);
    assert.equal((await verifierWith({}, { tenant: 'acme' }).verify({ apiKey: ACTIVE_KEY })).tenant, 'acme');
    assert.equal((await verifierWith({}, { tenant: 'tenant-42' }).verify({ apiKey: ACTIVE_KEY })).tenant, 'acme');
  });

  it('a flood of made-up keys, each sent 5 times at once and again later: one request per distinct key, none for repeats', async () => {
    const verifier = verifierWith({ negativeCacheTtl: 60 });
    const before = server.requests.introspection;
    const fakes = Array.from({ length: 20 }, (_, i) => `tg_live_fake${i}_c2VjcmV0c2VjcmV0c2VjcmV0`);
    await Promise.all(fakes.flatMap((apiKey) => Array.from({ length: 5 }, () => rejectsWithCode(verifier.verify({ apiKey }), 'ERR_INVALID_API_KEY'))));
    assert.equal(server.requests.introspection, before + fakes.length);
    for (const apiKey of fakes) await rejectsWithCode(verifier.verify({ apiKey }), 'ERR_INVALID_API_KEY');
    assert.equal(server.requests.introspection, before + fakes.length);
    assert.equal((await verifier.verify({ apiKey: ACTIVE_KEY })).subject, 'key_k7f3');
  });

  it('uses ${issuer}/token/introspection when discovery has no introspection_endpoint, and an explicit endpoint without discovery', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: `${server.issuer}/jwks` };
    assert.equal((await verifierWith().verify({ apiKey: ACTIVE_KEY })).subject, 'key_k7f3');
    const before = server.requests.discovery;
    const explicit = verifierWith({ endpoint: `${server.issuer}/token/introspection` });
    assert.equal((await explicit.verify({ apiKey: ACTIVE_KEY })).subject, 'key_k7f3');
    assert.equal(server.requests.discovery, before);
  });

  it('refuses API keys when no introspection credentials are configured', async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const before = server.requests.introspection;
    await rejectsWithCode(verifier.verify({ apiKey: ACTIVE_KEY }), 'ERR_INVALID_API_KEY', 'API keys are not accepted by this resource server');
    assert.equal(server.requests.introspection, before);
  });

  it('never puts the key in an error', async () => {
    for (const setup of [() => ({ status: 200, body: { active: false } }), () => ({ status: 500 })]) {
      server.introspect = setup;
      let caught: unknown;
      try {
        await verifierWith().verify({ apiKey: REVOKED_KEY });
      } catch (err) {
        caught = err;
      }
      assert.ok(caught instanceof Error);
      const visible = `${caught.message} ${String(caught.stack)} ${JSON.stringify(caught)} ${String((caught as { wwwAuthenticate?: string }).wwwAuthenticate)}`;
      assert.ok(!visible.includes(REVOKED_KEY));
      assert.ok(!visible.includes('cmV2b2tlZHJldm9rZWRyZXZv'));
    }
  });
});
