import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ALGORITHMS, createVerifier, requireScopes } from '../src/index.js';
import type { JwsAlgorithm, VerifierOptions } from '../src/index.js';

const valid: VerifierOptions = { issuer: 'https://auth.example.com', audience: 'https://api.acme.test' };

function throwsOn(option: string, options: unknown): void {
  assert.throws(() => createVerifier(options as VerifierOptions), (err: unknown) => {
    assert.ok(err instanceof TypeError);
    assert.match(err.message, new RegExp(`option "${option.replace('.', '\\.')}"`));
    return true;
  });
}

describe('createVerifier options', () => {
  it('accepts the minimal options and defaults to the algorithms Tollgate signs with', () => {
    assert.doesNotThrow(() => createVerifier(valid));
    assert.deepEqual([...DEFAULT_ALGORITHMS], ['ES256', 'EdDSA', 'RS256', 'PS256']);
  });

  for (const issuer of [undefined, '', 'auth.example.com', 'ftp://auth.example.com', 'https://auth.example.com/?tenant=1', 'https://auth.example.com/#x']) {
    it(`refuses the issuer ${JSON.stringify(issuer)}`, () => throwsOn('issuer', { ...valid, issuer }));
  }

  for (const audience of [undefined, '', [], [''], 42]) {
    it(`refuses the audience ${JSON.stringify(audience)}`, () => throwsOn('audience', { ...valid, audience }));
  }

  for (const algorithms of [['none'], ['HS256'], ['ES256', 'HS512'], [], ['es256'], 'ES256']) {
    it(`refuses the algorithm allow-list ${JSON.stringify(algorithms)}`, () => throwsOn('algorithms', { ...valid, algorithms }));
  }

  it('accepts a custom asymmetric allow-list', () => {
    const algorithms: JwsAlgorithm[] = ['ES384', 'Ed25519', 'PS512'];
    assert.doesNotThrow(() => createVerifier({ ...valid, algorithms }));
  });

  for (const [option, options] of [
    ['clockTolerance', { ...valid, clockTolerance: -1 }],
    ['clockTolerance', { ...valid, clockTolerance: Number.NaN }],
    ['maxTokenLength', { ...valid, maxTokenLength: 0 }],
    ['maxTokenLength', { ...valid, maxTokenLength: 1.5 }],
    ['jwksUri', { ...valid, jwksUri: 'not a url' }],
    ['realm', { ...valid, realm: 'say "hi"' }],
    ['jwks.cooldown', { ...valid, jwks: { cooldown: -5 } }],
    ['introspection.clientId', { ...valid, introspection: { clientSecret: 'x' } }],
    ['introspection.clientSecret', { ...valid, introspection: { clientId: 'x', clientSecret: '' } }],
    ['introspection.cacheSize', { ...valid, introspection: { clientId: 'x', clientSecret: 'y', cacheSize: 0 } }],
    ['introspection.endpoint', { ...valid, introspection: { clientId: 'x', clientSecret: 'y', endpoint: '/relative' } }],
  ] as const) {
    it(`refuses ${option} in ${JSON.stringify(options)}`, () => throwsOn(option, options));
  }

  it('requireScopes needs at least one valid scope', () => {
    assert.throws(() => requireScopes(), TypeError);
    assert.throws(() => requireScopes('read projects'), TypeError);
    assert.throws(() => requireScopes(''), TypeError);
    assert.throws(() => requireScopes('a"b'), TypeError);
    assert.doesNotThrow(() => requireScopes('write:projects', 'admin'));
  });
});
