import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, type SecretSource } from '../../src/config.js';

const generated: SecretSource = { developmentSecret: () => 'd'.repeat(48) };
const production = { NODE_ENV: 'production', TOLLGATE_SECRET: 'Vq3xN8rT2mK7pL9wZ4bH6cJ1dF5gS0yE', ISSUER: 'https://auth.example.com', TOLLGATE_METRICS: 'off' };

describe('TOLLGATE_JWKS_URI_PRIVATE_NETWORK', () => {
  test('off by default; allow turns the jwks_uri SSRF guard off in development', () => {
    assert.equal(loadConfig({}, generated).jwksUriPrivateNetwork, false);
    assert.equal(loadConfig({ TOLLGATE_JWKS_URI_PRIVATE_NETWORK: 'allow' }, generated).jwksUriPrivateNetwork, true);
    assert.throws(() => loadConfig({ TOLLGATE_JWKS_URI_PRIVATE_NETWORK: 'yes' }, generated), /TOLLGATE_JWKS_URI_PRIVATE_NETWORK/);
  });

  test('refused in production', () => {
    assert.equal(loadConfig(production, generated).jwksUriPrivateNetwork, false);
    assert.throws(
      () => loadConfig({ ...production, TOLLGATE_JWKS_URI_PRIVATE_NETWORK: 'allow' }, generated),
      (error: unknown) => error instanceof ConfigError && /TOLLGATE_JWKS_URI_PRIVATE_NETWORK=allow/.test(error.message),
    );
  });
});
