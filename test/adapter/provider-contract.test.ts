import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { createKnexAdapter } from '../../adapters/knex-adapter.js';
import { databaseVariants } from '../helpers/databases.js';
import { TEST_IDS, useAdapterDatabase } from './fixture.js';

// The adapter as oidc-provider's own models drive it: the factory accepted
// by the `adapter` setting, tokens saved, found and consumed through the
// provider's classes, with the provider's real clock.
for (const variant of databaseVariants) {
  describe(`oidc-provider models over the knex adapter (${variant.kind})`, { skip: variant.skip }, () => {
    const db = useAdapterDatabase(variant.kind);
    let provider: Provider;
    let client: InstanceType<Provider['Client']>;

    before(async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      provider = new Provider('http://localhost:3000', {
        adapter: createKnexAdapter(db.knex, { ids: TEST_IDS }),
        jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test', alg: 'ES256', use: 'sig' }] },
        clients: [{ client_id: 'client', client_secret: 'a-secret', redirect_uris: ['https://client.example/cb'], id_token_signed_response_alg: 'ES256' }],
        features: { devInteractions: { enabled: false } },
        ttl: { AccessToken: 3600, AuthorizationCode: 60 },
      });
      const found = await provider.Client.find('client');
      assert.ok(found);
      client = found;
    });

    const codeFor = (grantId: string) =>
      new provider.AuthorizationCode({
        accountId: 'account',
        client,
        gty: 'authorization_code',
        grantId,
        scope: 'openid',
        redirectUri: 'https://client.example/cb',
      });

    test('an authorization code is saved, found, consumed once, and then seen as consumed', async () => {
      const value = await codeFor('g1').save();
      const found = await provider.AuthorizationCode.find(value);
      assert.ok(found?.isValid);
      await found.consume();

      const again = await provider.AuthorizationCode.find(value);
      assert.equal(again?.isValid, false);
      assert.equal(typeof (await db.row('AuthorizationCode', value))?.consumed_at, 'number');
    });

    test('two requests that both found the code unconsumed: only one consume succeeds', async () => {
      const value = await codeFor('g2').save();
      const [first, second] = await Promise.all([provider.AuthorizationCode.find(value), provider.AuthorizationCode.find(value)]);
      assert.ok(first?.isValid && second?.isValid);
      const results = await Promise.allSettled([first.consume(), second.consume()]);
      assert.deepEqual(results.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
      const refused = results.find((result) => result.status === 'rejected');
      assert.ok(refused?.reason instanceof errors.InvalidGrant);
    });

    test('revoking a grant removes its tokens of every kind', async () => {
      const code = await codeFor('g3').save();
      const token = await new provider.AccessToken({ accountId: 'account', client, gty: 'authorization_code', grantId: 'g3', scope: 'openid' }).save();
      const other = await codeFor('g4').save();
      await provider.AccessToken.revokeByGrantId('g3');
      assert.equal(await provider.AuthorizationCode.find(code), undefined);
      assert.equal(await provider.AccessToken.find(token), undefined);
      assert.ok(await provider.AuthorizationCode.find(other));
    });
  });
}
