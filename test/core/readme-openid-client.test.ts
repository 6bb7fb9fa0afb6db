import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { databaseVariants } from '../helpers/databases.js';
import { API, useSeededServer } from '../helpers/server.js';

const sqlite = databaseVariants[0]!;

// The openid-client and jose calls of docs/machine-tokens.md and docs/resource-server.md, against the real server.
describe('README: openid-client and jose examples', { skip: sqlite.skip }, () => {
  const context = useSeededServer(sqlite.kind);

  test('client.clientCredentialsGrant gets a token that jose verifies through /jwks', async () => {
    const { server, machine } = context;
    const config = await client.discovery(new URL(server.issuer), machine.clientId, machine.clientSecret, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const token = await client.clientCredentialsGrant(config, { scope: 'read:projects', resource: API });

    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload } = await jwtVerify(token.access_token, jwks, {
      issuer: server.issuer,
      audience: API,
      typ: 'at+jwt',
      algorithms: ['ES256', 'EdDSA', 'RS256', 'PS256'],
    });
    assert.equal(payload['tenant'], 'acme');
    assert.equal(payload['scope'], 'read:projects');
  });
});
