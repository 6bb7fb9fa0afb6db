import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier } from '../src/index.js';
import type { Verifier } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { startAuthorizationServer } from './helpers/authorization-server.js';
import type { FakeAuthorizationServer } from './helpers/authorization-server.js';
import {
  AUDIENCE, accessTokenClaims, base64url, createSigningKey, hmacTokenWithPublicKey, nowSeconds, signAccessToken, unsignedToken,
} from './helpers/tokens.js';
import type { SigningKey } from './helpers/tokens.js';

describe('JWT access tokens (RFC 9068)', () => {
  let server: FakeAuthorizationServer;
  let keyA: SigningKey;
  let keyB: SigningKey;
  let verifier: Verifier;

  before(async () => {
    server = await startAuthorizationServer();
    keyA = await createSigningKey('key-a');
    keyB = await createSigningKey('key-b');
    server.jwks = { keys: [keyA.jwk, keyB.jwk] };
    verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
  });
  after(() => server.close());

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => accessTokenClaims(server.issuer, overrides);

  it('returns the principal of a valid token', async () => {
    const payload = claims();
    const principal = await verifier.verify({ authorization: `Bearer ${await signAccessToken(keyA, payload)}` });
    assert.equal(principal.type, 'access_token');
    assert.equal(principal.subject, 'client-7');
    assert.equal(principal.clientId, 'client-7');
    assert.equal(principal.tenantId, 'tenant-42');
    assert.equal(principal.tenant, 'acme');
    assert.deepEqual(principal.scopes, ['read:projects', 'write:projects']);
    assert.deepEqual(principal.roles, ['developer']);
    assert.equal(principal.claims.jti, payload.jti);
    assert.equal(principal.claims.token_version, 1);
    assert.ok(Object.isFrozen(principal) && Object.isFrozen(principal.scopes) && Object.isFrozen(principal.claims));
  });

  it('with the tenant option, refuses a token of another tenant (ERR_WRONG_TENANT, 403)', async () => {
    const token = await signAccessToken(keyA, claims());
    const globexOnly = createVerifier({ issuer: server.issuer, audience: AUDIENCE, tenant: 'globex' });
    const err = await rejectsWithCode(globexOnly.verify({ authorization: `Bearer ${token}` }), 'ERR_WRONG_TENANT');
    assert.equal(err.status, 403);
    const acmeOnly = createVerifier({ issuer: server.issuer, audience: AUDIENCE, tenant: 'tenant-42' });
    assert.equal((await acmeOnly.verify({ authorization: `Bearer ${token}` })).tenant, 'acme');
  });

  it('gives empty scopes and roles to a token without scope or roles', async () => {
    const principal = await verifier.verifyAccessToken(await signAccessToken(keyA, claims({ scope: undefined, roles: undefined })));
    assert.deepEqual(principal.scopes, []);
    assert.deepEqual(principal.roles, []);
  });

  it('accepts an aud array that contains the audience', async () => {
    const principal = await verifier.verifyAccessToken(await signAccessToken(keyB, claims({ aud: ['https://other.test', AUDIENCE] })));
    assert.equal(principal.subject, 'client-7');
  });

  it('refuses a token from another issuer', async () => {
    const token = await signAccessToken(keyA, claims({ iss: 'https://evil.example' }));
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token iss claim is not accepted');
  });

  it('refuses a token for another audience', async () => {
    const token = await signAccessToken(keyA, claims({ aud: 'https://other-api.test' }));
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token aud claim is not accepted');
  });

  it('refuses an expired token, with ERR_TOKEN_EXPIRED', async () => {
    const token = await signAccessToken(keyA, claims({ exp: nowSeconds() - 60, iat: nowSeconds() - 960 }));
    const err = await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_TOKEN_EXPIRED');
    assert.equal(err.status, 401);
    assert.match(err.wwwAuthenticate ?? '', /error="invalid_token"/);
  });

  it('tolerates a few seconds of clock skew on exp, and no more than configured', async () => {
    const token = await signAccessToken(keyA, claims({ exp: nowSeconds() - 2 }));
    assert.equal((await verifier.verifyAccessToken(token)).subject, 'client-7');
    const strict = createVerifier({ issuer: server.issuer, audience: AUDIENCE, clockTolerance: 0 });
    await rejectsWithCode(strict.verifyAccessToken(token), 'ERR_TOKEN_EXPIRED');
  });

  it('refuses a token whose nbf is in the future', async () => {
    const token = await signAccessToken(keyA, claims({ nbf: nowSeconds() + 60 }));
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token is not yet valid');
  });

  for (const claim of ['exp', 'iat', 'sub', 'client_id', 'jti', 'aud', 'iss']) {
    it(`refuses a token without ${claim}`, async () => {
      const token = await signAccessToken(keyA, claims({ [claim]: undefined }));
      await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', /claim/);
    });
  }

  for (const [claim, value] of [['sub', 42], ['client_id', ''], ['jti', ['x']], ['scope', ['read:projects']], ['roles', 'admin'], ['tenant_id', 7], ['token_version', '1'], ['iat', 'now']] as const) {
    it(`refuses a token whose ${claim} has the wrong type`, async () => {
      const token = await signAccessToken(keyA, claims({ [claim]: value }));
      await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN');
    });
  }

  it('refuses a DPoP-bound (cnf.jkt) token presented as a bearer token', async () => {
    const token = await signAccessToken(keyA, claims({ cnf: { jkt: 'thumbprint' } }));
    const err = await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token is DPoP-bound: present it with the DPoP scheme and a DPoP proof');
    assert.match(err.wwwAuthenticate ?? '', /^DPoP realm=/);
  });

  it('refuses a token bound some other way (mTLS cnf) that it cannot check', async () => {
    const token = await signAccessToken(keyA, claims({ cnf: { 'x5t#S256': 'thumbprint' } }));
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'sender-constrained tokens other than DPoP are not supported');
  });

  for (const typ of [undefined, 'JWT', 'jwt', 'application/jwt', 'at+jwt+x']) {
    it(`refuses typ ${String(typ)}`, async () => {
      const token = await signAccessToken(keyA, claims(), { typ });
      await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token typ must be at+jwt');
    });
  }

  for (const typ of ['application/at+jwt', 'AT+JWT']) {
    it(`accepts typ ${typ} (media types are case-insensitive, application/ optional)`, async () => {
      const token = await signAccessToken(keyA, claims(), { typ });
      assert.equal((await verifier.verifyAccessToken(token)).subject, 'client-7');
    });
  }

  it('refuses alg none', async () => {
    await rejectsWithCode(verifier.verifyAccessToken(unsignedToken(claims(), keyA.kid)), 'ERR_INVALID_TOKEN', 'token alg is not allowed');
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const token = hmacTokenWithPublicKey(claims(), keyA);
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token alg is not allowed');
  });

  it('refuses a valid signature with an algorithm outside the allow-list', async () => {
    const esOnly = createVerifier({ issuer: server.issuer, audience: AUDIENCE, algorithms: ['EdDSA'] });
    await rejectsWithCode(esOnly.verifyAccessToken(await signAccessToken(keyA, claims())), 'ERR_INVALID_TOKEN', 'token alg is not allowed');
  });

  it('refuses a token signed by a key that is not the issuer\'s, even with a known kid', async () => {
    const impostor = await createSigningKey(keyA.kid);
    await rejectsWithCode(verifier.verifyAccessToken(await signAccessToken(impostor, claims())), 'ERR_INVALID_TOKEN', 'token signature is invalid');
  });

  it('refuses a token without kid when the JWKS has two keys, without fetching it', async () => {
    const fresh = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const before = server.requests.jwks;
    await rejectsWithCode(fresh.verifyAccessToken(await signAccessToken(keyA, claims(), { kid: undefined })), 'ERR_INVALID_TOKEN', 'token header has no kid');
    assert.equal(server.requests.jwks, before);
  });

  it('refuses a token without kid even when the JWKS has a single key', async () => {
    const single = await startAuthorizationServer();
    try {
      single.jwks = { keys: [keyA.jwk] };
      const onlyKey = createVerifier({ issuer: single.issuer, audience: AUDIENCE });
      const token = await signAccessToken(keyA, accessTokenClaims(single.issuer), { kid: undefined });
      await rejectsWithCode(onlyKey.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token header has no kid');
    } finally {
      await single.close();
    }
  });

  it('refuses a token with critical header extensions', async () => {
    const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: keyA.kid, crit: ['x-bound'], 'x-bound': true }));
    const token = `${header}.${base64url(JSON.stringify(claims()))}.${base64url('signature')}`;
    await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token uses critical header extensions');
  });

  it('refuses a 100 KB token by its length, before parsing it or fetching anything', async () => {
    const fresh = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const requestsBefore = { ...server.requests };
    const huge = 'A'.repeat(100 * 1024); // not even a JWS: only the length check can name it
    const started = performance.now();
    await rejectsWithCode(fresh.verify({ authorization: `Bearer ${huge}` }), 'ERR_INVALID_TOKEN', 'token exceeds the maximum length');
    assert.ok(performance.now() - started < 100, 'refusing an oversized token must be cheap');
    assert.deepEqual(server.requests, requestsBefore);
  });

  it('accepts tokens up to a configured maxTokenLength', async () => {
    const token = await signAccessToken(keyA, claims());
    const tight = createVerifier({ issuer: server.issuer, audience: AUDIENCE, maxTokenLength: token.length - 1 });
    await rejectsWithCode(tight.verifyAccessToken(token), 'ERR_INVALID_TOKEN', 'token exceeds the maximum length');
    const exact = createVerifier({ issuer: server.issuer, audience: AUDIENCE, maxTokenLength: token.length });
    assert.equal((await exact.verifyAccessToken(token)).subject, 'client-7');
  });

  for (const [label, token] of [['two segments', 'abc.def'], ['a JWE (five segments)', 'a.b.c.d.e'], ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln']]) {
    it(`refuses ${label}`, async () => {
      await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN');
    });
  }

  it('points a caller who sends an API key as a bearer token at X-API-Key', async () => {
    await rejectsWithCode(verifier.verify({ authorization: 'Bearer tg_live_abc_def' }), 'ERR_INVALID_TOKEN', 'API keys are sent in the X-API-Key header');
  });

  it('never puts the token in the error', async () => {
    const token = await signAccessToken(keyA, claims({ aud: 'https://other-api.test' }));
    const err = await rejectsWithCode(verifier.verifyAccessToken(token), 'ERR_INVALID_TOKEN');
    const visible = `${err.message} ${err.wwwAuthenticate ?? ''} ${JSON.stringify(err)}`;
    assert.ok(!visible.includes(token.split('.')[2] ?? token));
    assert.ok(!visible.includes(token.split('.')[1] ?? token));
  });

  it('works with EdDSA, RS256 and PS256 keys too', async () => {
    const others = await Promise.all([createSigningKey('ed', 'EdDSA'), createSigningKey('rs', 'RS256'), createSigningKey('ps', 'PS256')]);
    const multi = await startAuthorizationServer();
    try {
      multi.jwks = { keys: others.map((key) => key.jwk) };
      const multiVerifier = createVerifier({ issuer: multi.issuer, audience: AUDIENCE });
      for (const key of others) {
        const principal = await multiVerifier.verifyAccessToken(await signAccessToken(key, accessTokenClaims(multi.issuer)));
        assert.equal(principal.clientId, 'client-7', key.alg);
      }
    } finally {
      await multi.close();
    }
  });
});
