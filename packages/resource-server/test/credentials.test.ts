import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { API_KEY, startFixture } from './helpers/fixture.js';
import type { Fixture } from './helpers/fixture.js';
import { AUDIENCE } from './helpers/tokens.js';

describe('verify(): which credential a request presents (RFC 6750 section 2.1)', () => {
  let fixture: Fixture;

  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.close());

  it('refuses a request with no credential: 401 with a bare challenge (RFC 6750 section 3.1)', async () => {
    for (const credentials of [{}, { authorization: '', apiKey: '' }, { authorization: null, apiKey: null }]) {
      const err = await rejectsWithCode(fixture.verifier.verify(credentials), 'ERR_MISSING_TOKEN');
      assert.equal(err.status, 401);
      assert.equal(err.wwwAuthenticate, 'Bearer realm="https://api.acme.test"');
      assert.deepEqual(err.toJSON(), { error: 'invalid_token', error_description: 'no bearer token or API key was presented' });
    }
  });

  it('treats another Authorization scheme as no credential', async () => {
    await rejectsWithCode(fixture.verifier.verify({ authorization: 'Basic YWxpY2U6c2VjcmV0' }), 'ERR_MISSING_TOKEN');
  });

  it('reads the scheme case-insensitively', async () => {
    const principal = await fixture.verifier.verify({ authorization: `bearer ${await fixture.token()}` });
    assert.equal(principal.type, 'access_token');
  });

  it('uses the API key when Authorization carries another scheme', async () => {
    const principal = await fixture.verifier.verify({ authorization: 'Basic YWxpY2U6c2VjcmV0', apiKey: API_KEY });
    assert.equal(principal.type, 'api_key');
  });

  it('refuses a bearer token and an API key together: 400 invalid_request', async () => {
    const err = await rejectsWithCode(fixture.verifier.verify({ authorization: `Bearer ${await fixture.token()}`, apiKey: API_KEY }), 'ERR_INVALID_REQUEST');
    assert.equal(err.status, 400);
    assert.match(err.wwwAuthenticate ?? '', /error="invalid_request"/);
  });

  for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b']) {
    it(`refuses the malformed header ${JSON.stringify(authorization)} with 400`, async () => {
      await rejectsWithCode(fixture.verifier.verify({ authorization }), 'ERR_INVALID_REQUEST', 'the Authorization header is malformed');
    });
  }

  it('refuses a credential that is not a string (a repeated header passed through by JavaScript code)', async () => {
    const credentials = { apiKey: [API_KEY, API_KEY] } as unknown as { apiKey: string };
    await rejectsWithCode(fixture.verifier.verify(credentials), 'ERR_INVALID_REQUEST');
  });

  it('names the configured realm in its challenges', async () => {
    const verifier = createVerifier({ issuer: fixture.server.issuer, audience: AUDIENCE, realm: 'acme-api' });
    const err = await rejectsWithCode(verifier.verify({ authorization: 'Bearer x.y.z' }), 'ERR_INVALID_TOKEN');
    assert.match(err.wwwAuthenticate ?? '', /^Bearer realm="acme-api", error="invalid_token", error_description="[^"]+"$/);
  });
});
