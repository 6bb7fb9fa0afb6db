import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import Provider from 'oidc-provider';
import { metricsLabelOfRoute, routeOfProvider } from '../../src/provider/endpoints.js';

const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const provider = new Provider('http://127.0.0.1', {
  jwks: { keys: [{ ...jwk, kid: 'labels', alg: 'ES256', use: 'sig' }] },
  features: { devInteractions: { enabled: false }, introspection: { enabled: true }, revocation: { enabled: true } },
});
const routeOf = routeOfProvider(provider);
const labelOf = (method: string, path: string) => metricsLabelOfRoute(routeOf(method, path));

describe('the metrics label of a request to one of the provider\'s endpoints, from its own router', () => {
  test('each endpoint is labelled with the path it is served at, in every spelling the provider routes', () => {
    for (const spelling of ['/token', '/TOKEN', '/token/', '/Token/']) assert.equal(labelOf('POST', spelling), '/token', spelling);
    assert.equal(labelOf('POST', '/token/introspection/'), '/token/introspection');
    assert.equal(labelOf('POST', '/token/REVOCATION'), '/token/revocation');
    assert.equal(labelOf('GET', '/JWKS'), '/jwks');
    assert.equal(labelOf('HEAD', '/jwks'), '/jwks');
    assert.equal(labelOf('GET', '/.well-known/openid-configuration'), '/.well-known/openid-configuration');
    assert.equal(labelOf('GET', '/.well-known/oauth-authorization-server'), '/.well-known/oauth-authorization-server');
    assert.equal(labelOf('OPTIONS', '/token'), '/token', 'a CORS preflight is labelled with its endpoint');
  });

  test('routes without a label of their own, and what the provider does not route, get none (counted as other)', () => {
    assert.equal(labelOf('GET', '/auth'), undefined);
    assert.equal(labelOf('GET', '/token'), undefined, 'the token endpoint answers POST only');
    assert.equal(labelOf('POST', '/token%2F'), undefined);
    assert.equal(labelOf('GET', '/no-such-path'), undefined);
  });
});
