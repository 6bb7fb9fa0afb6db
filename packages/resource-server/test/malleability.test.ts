import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { startAuthorizationServer } from './helpers/authorization-server.js';
import type { FakeAuthorizationServer } from './helpers/authorization-server.js';
import { AUDIENCE, accessTokenClaims, createSigningKey, malleateEs256, signAccessToken } from './helpers/tokens.js';

/**
 * ECDSA signatures are malleable: if (r, s) is valid, so is (r, n - s).
 * JWS does not require low-S signatures and WebCrypto signers produce
 * high-S about half the time, so refusing high-S would refuse valid tokens.
 * The malleated token therefore verifies, as the same token: same claims,
 * same jti. What the package guarantees is that nothing it keeps is keyed on
 * the token string (it caches no verification result), and it tells callers
 * to key any deny list or replay cache on `jti`.
 */
describe('ECDSA signature malleability', () => {
  let server: FakeAuthorizationServer;

  before(async () => {
    server = await startAuthorizationServer();
  });
  after(() => server.close());

  it('a high-S twin of a valid ES256 token verifies as the same token (same jti), so identity must come from jti', async () => {
    const key = await createSigningKey('key-a');
    server.jwks = { keys: [key.jwk] };
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const original = await signAccessToken(key, accessTokenClaims(server.issuer));
    const twin = malleateEs256(original);
    assert.notEqual(twin, original);

    const first = await verifier.verifyAccessToken(original);
    const second = await verifier.verifyAccessToken(twin);
    assert.equal(second.claims.jti, first.claims.jti);
    assert.deepEqual(second.claims, first.claims);

    // The twin is valid only because n - s is the other valid s: any other change is refused.
    const [header, payload, signature] = original.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[63] = (bytes[63] ?? 0) ^ 1;
    await rejectsWithCode(verifier.verifyAccessToken(`${header}.${payload}.${bytes.toString('base64url')}`), 'ERR_INVALID_TOKEN', 'token signature is invalid');
  });
});
