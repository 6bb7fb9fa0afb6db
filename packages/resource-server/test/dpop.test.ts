import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { createVerifier, MemoryDpopReplayCache } from '../src/index.js';
import type { Verifier } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { startAuthorizationServer } from './helpers/authorization-server.js';
import type { FakeAuthorizationServer } from './helpers/authorization-server.js';
import { runExpress } from './helpers/fake-http.js';
import { AUDIENCE, accessTokenClaims, createSigningKey, nowSeconds, signAccessToken } from './helpers/tokens.js';
import type { SigningKey } from './helpers/tokens.js';

const URL_ = 'https://api.acme.test/projects';

interface ProofKey {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}

async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** A DPoP proof as a client library makes it; `overrides` change its claims or header. */
async function proof(key: ProofKey, token: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({
    htm: 'GET',
    htu: URL_,
    ath: createHash('sha256').update(token).digest('base64url'),
    jti: randomUUID(),
    iat: nowSeconds(),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header } as { alg: string })
    .sign(key.privateKey);
}

describe('DPoP-bound tokens (RFC 9449)', () => {
  let server: FakeAuthorizationServer;
  let signing: SigningKey;
  let verifier: Verifier;
  let key: ProofKey;

  before(async () => {
    server = await startAuthorizationServer();
    signing = await createSigningKey('key-a');
    server.jwks = { keys: [signing.jwk] };
    verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    key = await proofKey();
  });
  after(() => server.close());

  const boundToken = (jkt = key.jkt) => signAccessToken(signing, accessTokenClaims(server.issuer, { cnf: { jkt } }));
  const present = async (token: string, dpop: string | undefined, method = 'GET', url = URL_) =>
    verifier.verify({ authorization: `DPoP ${token}`, dpop, method, url });

  it('accepts a bound token with a valid proof, whatever the query string', async () => {
    const token = await boundToken();
    const principal = await present(token, await proof(key, token), 'GET', `${URL_}?page=2`);
    assert.equal(principal.subject, 'client-7');
  });

  it('refuses a missing proof, a proof for another method, URL, token or key', async () => {
    const token = await boundToken();
    await rejectsWithCode(present(token, undefined), 'ERR_INVALID_DPOP_PROOF', 'a DPoP proof is required with a DPoP-bound token');
    await rejectsWithCode(present(token, await proof(key, token, { htm: 'POST' })), 'ERR_INVALID_DPOP_PROOF', /htm/);
    await rejectsWithCode(present(token, await proof(key, token, { htu: 'https://api.acme.test/admin' })), 'ERR_INVALID_DPOP_PROOF', /htu/);
    await rejectsWithCode(present(token, await proof(key, token, { ath: 'other' })), 'ERR_INVALID_DPOP_PROOF', /ath/);
    const thief = await proofKey();
    await rejectsWithCode(present(token, await proof(thief, token)), 'ERR_INVALID_DPOP_PROOF', /does not match the token binding/);
  });

  it('refuses a stale or future proof, a private key in the header, and a symmetric or unsigned proof', async () => {
    const token = await boundToken();
    await rejectsWithCode(present(token, await proof(key, token, { iat: nowSeconds() - 300 })), 'ERR_INVALID_DPOP_PROOF', /iat/);
    await rejectsWithCode(present(token, await proof(key, token, { iat: nowSeconds() + 300 })), 'ERR_INVALID_DPOP_PROOF', /iat/);
    const privateJwk = await exportJWK(key.privateKey);
    await rejectsWithCode(present(token, await proof(key, token, {}, { jwk: privateJwk })), 'ERR_INVALID_DPOP_PROOF');
    await rejectsWithCode(present(token, await proof(key, token, {}, { typ: 'JWT' })), 'ERR_INVALID_DPOP_PROOF');
    const [, payload] = (await proof(key, token)).split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url')}.${payload}.`;
    await rejectsWithCode(present(token, unsigned), 'ERR_INVALID_DPOP_PROOF');
  });

  it('refuses a replayed proof', async () => {
    const token = await boundToken();
    const once = await proof(key, token);
    await present(token, once);
    const err = await rejectsWithCode(present(token, once), 'ERR_INVALID_DPOP_PROOF', 'DPoP proof was already used');
    assert.equal(err.status, 401);
    assert.equal(err.wwwAuthenticate, `DPoP realm="${AUDIENCE}", error="invalid_dpop_proof", error_description="DPoP proof was already used", algs="ES256 EdDSA PS256 RS256"`);
  });

  it('refuses an unbound token under the DPoP scheme', async () => {
    const token = await signAccessToken(signing, accessTokenClaims(server.issuer));
    await rejectsWithCode(present(token, await proof(key, token)), 'ERR_INVALID_TOKEN', /not DPoP-bound/);
  });

  it('the Express middleware checks htu against the URL it was called on', async () => {
    const token = await boundToken();
    const headers = { authorization: `DPoP ${token}`, host: 'api.acme.test', dpop: await proof(key, token) };
    const accepted = await runExpress(verifier.express(), { headers, method: 'GET', protocol: 'https', originalUrl: '/projects?page=1' });
    assert.equal(accepted.nextCalled, true);
    const wrongPath = await runExpress(verifier.express(), { headers: { ...headers, dpop: await proof(key, token) }, method: 'GET', protocol: 'https', originalUrl: '/other' });
    assert.equal(wrongPath.res.statusCode, 401);
    assert.match(wrongPath.res.headers.get('www-authenticate') ?? '', /^DPoP .*invalid_dpop_proof/);
  });

  it('uses a pluggable replay cache', async () => {
    const seen: string[] = [];
    const shared = createVerifier({ issuer: server.issuer, audience: AUDIENCE, dpop: { replayCache: { remember: (entry) => !seen.includes(entry) && seen.push(entry) > 0 } } });
    const token = await boundToken();
    await shared.verify({ authorization: `DPoP ${token}`, dpop: await proof(key, token), method: 'GET', url: URL_ });
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.startsWith(`${key.jkt}:`));
    assert.throws(() => createVerifier({ issuer: server.issuer, audience: AUDIENCE, dpop: { algorithms: ['HS256' as 'ES256'] } }), /dpop.algorithms/);
  });
});

describe('MemoryDpopReplayCache', () => {
  it('remembers a key until it expires, and stays within its bound', () => {
    const cache = new MemoryDpopReplayCache(2);
    const later = Date.now() + 60_000;
    assert.equal(cache.remember('a', later), true);
    assert.equal(cache.remember('a', later), false);
    assert.equal(cache.remember('expired', Date.now() - 1), true);
    assert.equal(cache.remember('expired', later), true, 'an expired entry is forgotten');
    cache.remember('b', later);
    cache.remember('c', later);
    assert.equal(cache.remember('c', later), false);
  });
});
