import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { ConfigError, loadConfig } from '../../src/config.js';
import { refreshTokenTtl } from '../../src/provider/authorization-code.js';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { publicClientConfig, seedApps, signInAndConsent, startAuthorization } from './fixture.js';

const developmentSecret = { developmentSecret: () => 'd'.repeat(48) };

describe('refresh token lifetime', () => {
  const policy = { absoluteTtlSeconds: 1000, idleTtlSeconds: 300 };

  test('a new refresh token lives the idle timeout, cut short by what is left of the absolute lifetime', () => {
    assert.equal(refreshTokenTtl(policy, { iiat: 10_000 }, 10_000), 300);
    assert.equal(refreshTokenTtl(policy, { iiat: 10_000 }, 10_800), 200, 'rotated late in the grant: only 200 s left');
    assert.equal(refreshTokenTtl(policy, { iiat: 10_000 }, 11_500), 1, 'past the absolute lifetime: expires at once');
  });

  test('TOLLGATE_REFRESH_TOKEN_TTL and _IDLE_TTL are validated, with defaults of 30 and 7 days', () => {
    assert.deepEqual(loadConfig({}, developmentSecret).refreshTokens, { absoluteTtlSeconds: 30 * 86_400, idleTtlSeconds: 7 * 86_400 });
    assert.deepEqual(loadConfig({ TOLLGATE_REFRESH_TOKEN_TTL: '3600', TOLLGATE_REFRESH_TOKEN_IDLE_TTL: '600' }, developmentSecret).refreshTokens, {
      absoluteTtlSeconds: 3600,
      idleTtlSeconds: 600,
    });
    assert.throws(() => loadConfig({ TOLLGATE_REFRESH_TOKEN_TTL: 'a week' }, developmentSecret), (error) => error instanceof ConfigError && /TOLLGATE_REFRESH_TOKEN_TTL/.test(error.message));
    assert.throws(() => loadConfig({ TOLLGATE_REFRESH_TOKEN_IDLE_TTL: '10' }, developmentSecret), /TOLLGATE_REFRESH_TOKEN_IDLE_TTL/);
    assert.throws(
      () => loadConfig({ TOLLGATE_REFRESH_TOKEN_TTL: '600', TOLLGATE_REFRESH_TOKEN_IDLE_TTL: '3600' }, developmentSecret),
      /TOLLGATE_REFRESH_TOKEN_IDLE_TTL must not exceed TOLLGATE_REFRESH_TOKEN_TTL/,
    );
  });
});

for (const { kind, skip } of databaseVariants) {
  describe(`refresh token lifetime as stored (${kind})`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind, { env: { TOLLGATE_REFRESH_TOKEN_TTL: '3600', TOLLGATE_REFRESH_TOKEN_IDLE_TTL: '600' } });
    });
    after(() => server?.stop());

    test('each refresh token, rotated or not, expires after the idle timeout; the grant after the absolute lifetime', async () => {
      const apps = await seedApps(server);
      const config = await publicClientConfig(server, apps.publicClientId);
      const start = await startAuthorization(config, apps.redirectUri);
      const tokens = await oidc.authorizationCodeGrant(config, await signInAndConsent(server, start), {
        pkceCodeVerifier: start.verifier,
        expectedState: start.state,
        expectedNonce: start.nonce,
      });
      const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      const now = Math.floor(Date.now() / 1000);
      const rows: { model: string; expires_at: string | number; consumed_at: unknown }[] = await server.database.knex('oidc_models')
        .whereIn('model', ['RefreshToken', 'Grant'])
        .select('model', 'expires_at', 'consumed_at');
      const live = rows.filter((row) => row.model === 'RefreshToken' && row.consumed_at === null);
      assert.equal(live.length, 1);
      assert.ok(Math.abs(Number(live[0]!.expires_at) - (now + 600)) <= 5, `refresh token expires in ~600 s, not ${Number(live[0]!.expires_at) - now}`);
      const grant = rows.find((row) => row.model === 'Grant')!;
      assert.ok(Math.abs(Number(grant.expires_at) - (now + 3600)) <= 5, 'grant lives the absolute lifetime');
      assert.notEqual(rotated.refresh_token, tokens.refresh_token);
    });
  });
}
