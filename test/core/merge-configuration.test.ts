import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeConfiguration } from '../../src/provider/merge-configuration.js';

describe('the provider configuration, merged once from each feature\'s part', () => {
  test('client authentication methods are joined in order without repeats; features, algorithms and lifetimes are combined', () => {
    const merged = mergeConfiguration([
      { clientAuthMethods: ['client_secret_basic', 'client_secret_post'], features: { revocation: { enabled: true } }, ttl: { AccessToken: 300, Interaction: 3600 } },
      { clientAuthMethods: ['private_key_jwt', 'client_secret_basic'], features: { userinfo: { enabled: true } }, enabledJWA: { dPoPSigningAlgValues: ['ES256'] } },
      { clientAuthMethods: ['none'], ttl: { Interaction: 600 } },
    ]);
    assert.deepEqual(merged.clientAuthMethods, ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    assert.deepEqual(merged.features, { revocation: { enabled: true }, userinfo: { enabled: true } });
    assert.deepEqual(merged.enabledJWA, { dPoPSigningAlgValues: ['ES256'] });
    assert.deepEqual(merged.ttl, { AccessToken: 300, Interaction: 600 }, 'a later part sets its own lifetime');
  });

  test('any other setting made by two parts is refused, naming it, instead of one silently replacing the other', () => {
    const findAccount = async () => undefined;
    assert.throws(
      () => mergeConfiguration([{ findAccount, scopes: ['openid'] }, { findAccount }]),
      /^Error: provider configuration: findAccount set by two features$/,
    );
  });
});
