import { createVerifier } from '../../src/index.js';
import type { Verifier } from '../../src/index.js';
import { startAuthorizationServer } from './authorization-server.js';
import type { FakeAuthorizationServer } from './authorization-server.js';
import { AUDIENCE, accessTokenClaims, createSigningKey, signAccessToken } from './tokens.js';

export const API_KEY = 'tg_test_k1_c2VjcmV0c2VjcmV0c2VjcmV0_a1';

/** A fake authorization server with one signing key and one active API key, and a verifier for it. */
export interface Fixture {
  readonly server: FakeAuthorizationServer;
  readonly verifier: Verifier;
  /** A valid access token; `overrides` change its claims. */
  token(overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const server = await startAuthorizationServer();
  const key = await createSigningKey('key-a');
  server.jwks = { keys: [key.jwk] };
  server.introspect = (form) => form.get('token') === API_KEY
    ? { status: 200, body: { active: true, token_type: 'api_key', aud: AUDIENCE, sub: 'key_k1', tenant_id: 'tenant-42', tenant: 'acme', scope: 'read:projects' } }
    : { status: 200, body: { active: false } };
  const verifier = createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    introspection: { clientId: 'acme-api', clientSecret: 'secret' },
  });
  return {
    server,
    verifier,
    token: (overrides = {}) => signAccessToken(key, accessTokenClaims(server.issuer, overrides)),
    close: () => server.close(),
  };
}
