import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createVerifier } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { startAuthorizationServer } from './helpers/authorization-server.js';
import type { FakeAuthorizationServer } from './helpers/authorization-server.js';
import { AUDIENCE, accessTokenClaims, createSigningKey, frozenClock, signAccessToken } from './helpers/tokens.js';
import type { SigningKey } from './helpers/tokens.js';

describe('the issuer JWKS', () => {
  let server: FakeAuthorizationServer;
  let keyA: SigningKey;
  let keyB: SigningKey;
  let stranger: SigningKey;

  before(async () => {
    server = await startAuthorizationServer();
    [keyA, keyB, stranger] = await Promise.all([createSigningKey('key-a'), createSigningKey('key-b'), createSigningKey('never-published')]);
  });
  beforeEach(() => {
    server.jwks = { keys: [keyA.jwk, keyB.jwk] };
    server.jwksStatus = 200;
    server.discovery = { issuer: server.issuer, jwks_uri: `${server.issuer}/jwks` };
  });
  after(() => server.close());

  const tokenSignedBy = (key: SigningKey, kid = key.kid): Promise<string> =>
    signAccessToken(key, accessTokenClaims(server.issuer), { kid });

  it('verifies a token signed by the pre-published next key without fetching the JWKS again (rotation)', async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const before = server.requests.jwks;
    await verifier.verifyAccessToken(await tokenSignedBy(keyA));
    assert.equal(server.requests.jwks, before + 1);
    // The server rotates: B, published alongside A, now signs.
    const principal = await verifier.verifyAccessToken(await tokenSignedBy(keyB));
    assert.equal(principal.subject, 'client-7');
    assert.equal(server.requests.jwks, before + 1);
  });

  it('refetches once for an unknown kid after the cooldown, then refuses it; no refetch within the cooldown', async (t) => {
    frozenClock(t);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwks: { cooldown: 0.2 } });
    const before = server.requests.jwks;
    await verifier.verifyAccessToken(await tokenSignedBy(keyA));
    assert.equal(server.requests.jwks, before + 1);

    t.mock.timers.tick(250);
    const unknown = await tokenSignedBy(stranger);
    await rejectsWithCode(verifier.verifyAccessToken(unknown), 'ERR_INVALID_TOKEN', 'no key of the issuer matches the token kid');
    assert.equal(server.requests.jwks, before + 2, 'one refetch for the unknown kid');

    await rejectsWithCode(verifier.verifyAccessToken(unknown), 'ERR_INVALID_TOKEN', 'no key of the issuer matches the token kid');
    assert.equal(server.requests.jwks, before + 2, 'no refetch within the cooldown');
  });

  it('picks up a key published after the cache was filled, once the cooldown has passed', async (t) => {
    frozenClock(t);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwks: { cooldown: 0.2 } });
    await verifier.verifyAccessToken(await tokenSignedBy(keyA));
    const newKey = await createSigningKey('key-c');
    server.jwks = { keys: [keyA.jwk, keyB.jwk, newKey.jwk] };
    t.mock.timers.tick(250);
    assert.equal((await verifier.verifyAccessToken(await tokenSignedBy(newKey))).subject, 'client-7');
  });

  it('a flood of 50 tokens with random kids costs at most one JWKS fetch', async (t) => {
    frozenClock(t);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwks: { cooldown: 0.2 } });
    await verifier.verifyAccessToken(await tokenSignedBy(keyA));
    const before = server.requests.jwks;
    const flood = await Promise.all(Array.from({ length: 50 }, () => tokenSignedBy(stranger, randomUUID())));

    // Within the cooldown: no fetch at all.
    for (const token of flood) await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN');
    assert.equal(server.requests.jwks, before);

    // After the cooldown, 50 concurrent unknown kids share a single refetch...
    t.mock.timers.tick(250);
    await Promise.all(flood.map((token) => rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN')));
    assert.equal(server.requests.jwks, before + 1);
    // ...and the next 50 find the cooldown running again.
    for (const token of flood) await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN');
    assert.equal(server.requests.jwks, before + 1);
  });

  it('with the default cooldown, 50 sequential random kids cause no fetch beyond the first', async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const before = server.requests.jwks;
    for (let i = 0; i < 50; i += 1) {
      await rejectsWithCode(verifier.verifyAccessToken(await tokenSignedBy(stranger, randomUUID())), 'ERR_INVALID_TOKEN');
    }
    assert.equal(server.requests.jwks, before + 1);
  });

  it('answers ERR_JWKS_UNAVAILABLE (503) when the JWKS cannot be fetched, backs off, then recovers', async (t) => {
    frozenClock(t);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, retryAfterFailure: 0.3 });
    const token = await tokenSignedBy(keyA);
    server.jwksStatus = 500;
    const before = server.requests.jwks;
    const err = await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_JWKS_UNAVAILABLE');
    assert.equal(err.status, 503);
    assert.equal(err.wwwAuthenticate, undefined);
    assert.equal(server.requests.jwks, before + 1);

    // Within the back-off, requests are refused at once, without hammering the server.
    for (let i = 0; i < 20; i += 1) await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_JWKS_UNAVAILABLE');
    assert.equal(server.requests.jwks, before + 1);

    server.jwksStatus = 200;
    t.mock.timers.tick(350);
    assert.equal((await verifier.verifyAccessToken(token)).subject, 'client-7');
    assert.equal(server.requests.jwks, before + 2);
  });

  it('keeps verifying known kids from the cache while a refetch fails', async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwks: { cooldown: 0 }, retryAfterFailure: 5 });
    await verifier.verifyAccessToken(await tokenSignedBy(keyA));
    server.jwksStatus = 503;
    await rejectsWithCode(verifier.verifyAccessToken(await tokenSignedBy(stranger)), 'ERR_JWKS_UNAVAILABLE');
    const before = server.requests.jwks;
    assert.equal((await verifier.verifyAccessToken(await tokenSignedBy(keyB))).subject, 'client-7');
    await rejectsWithCode(verifier.verifyAccessToken(await tokenSignedBy(stranger, 'other')), 'ERR_INVALID_TOKEN');
    assert.equal(server.requests.jwks, before, 'no request during the back-off');
  });

  it('answers ERR_JWKS_UNAVAILABLE when the server is not listening at all', async () => {
    const gone = await startAuthorizationServer();
    const issuer = gone.issuer;
    await gone.close();
    const verifier = createVerifier({ issuer, audience: AUDIENCE });
    const token = await signAccessToken(keyA, accessTokenClaims(issuer));
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_JWKS_UNAVAILABLE');
  });

  describe('discovery', () => {
    it('uses the jwks_uri of the discovery document, fetched once', async () => {
      server.discovery = { issuer: server.issuer, jwks_uri: `${server.issuer}/keys/custom-jwks` };
      const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
      const before = { ...server.requests };
      await verifier.verifyAccessToken(await tokenSignedBy(keyA));
      await verifier.verifyAccessToken(await tokenSignedBy(keyB));
      assert.equal(server.requests.discovery, before.discovery + 1);
      assert.equal(server.requests.jwks, before.jwks + 1);
    });

    it('falls back to ${issuer}/jwks when there is no discovery document', async () => {
      server.discovery = 404;
      const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
      assert.equal((await verifier.verifyAccessToken(await tokenSignedBy(keyA))).subject, 'client-7');
    });

    it('does not fetch discovery when jwksUri is given', async () => {
      const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwksUri: `${server.issuer}/keys/custom-jwks` });
      const before = server.requests.discovery;
      await verifier.verifyAccessToken(await tokenSignedBy(keyA));
      assert.equal(server.requests.discovery, before);
    });

    it('refuses a discovery document that names another issuer', async () => {
      server.discovery = { issuer: 'https://evil.example', jwks_uri: `${server.issuer}/jwks` };
      const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
      const before = server.requests.jwks;
      await rejectsWithCode(verifier.verifyAccessToken(await tokenSignedBy(keyA)), 'ERR_JWKS_UNAVAILABLE', 'discovery document names a different issuer');
      assert.equal(server.requests.jwks, before);
    });

    it('answers 503 when discovery fails, and retries it after the back-off', async (t) => {
      frozenClock(t);
      server.discovery = 500;
      const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, retryAfterFailure: 0.2 });
      const token = await tokenSignedBy(keyA);
      const before = server.requests.discovery;
      await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_JWKS_UNAVAILABLE');
      await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_JWKS_UNAVAILABLE');
      assert.equal(server.requests.discovery, before + 1);
      server.discovery = { issuer: server.issuer, jwks_uri: `${server.issuer}/jwks` };
      t.mock.timers.tick(250);
      assert.equal((await verifier.verifyAccessToken(token)).subject, 'client-7');
    });
  });
});
