import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import * as oidc from 'openid-client';
import type { DatabaseKind } from '../../adapters/database.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, startTestServer, type TestServer } from '../helpers/server.js';
import { introspectAsApp, publicClientConfig, seedApps, signInAndConsent, startAuthorization, type AppFixture } from './fixture.js';

/**
 * Makes every insert of one oidc-provider model into `oidc_models` fail
 * while that model is listed in `fail_inserts`: a database failure at an
 * exact point of the refresh grant, on either database.
 */
async function installInsertFailure(knex: Knex, kind: DatabaseKind): Promise<void> {
  await knex.schema.createTable('fail_inserts', (table) => table.string('model', 64).primary());
  if (kind === 'sqlite') {
    await knex.raw(`CREATE TRIGGER fail_inserts BEFORE INSERT ON oidc_models
      WHEN EXISTS (SELECT 1 FROM fail_inserts WHERE model = NEW.model)
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    return;
  }
  await knex.raw(`CREATE FUNCTION fail_inserts() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM fail_inserts WHERE model = NEW.model) THEN RAISE EXCEPTION 'injected failure'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await knex.raw('CREATE TRIGGER fail_inserts BEFORE INSERT ON oidc_models FOR EACH ROW EXECUTE FUNCTION fail_inserts()');
}

const refresh = (server: TestServer, clientId: string, refreshToken: string) =>
  postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });

for (const { kind, skip } of databaseVariants) {
  describe(`refresh token rotation survives failures and retries (${kind})`, { skip }, () => {
    let server: TestServer;
    let apps: AppFixture;
    let config: oidc.Configuration;
    let nowMs = Date.now();

    before(async () => {
      server = await startTestServer(kind, { clock: () => nowMs });
      apps = await seedApps(server);
      config = await publicClientConfig(server, apps.publicClientId);
      await installInsertFailure(server.database.knex, kind);
    });
    afterEach(async () => {
      await server.database.knex('fail_inserts').delete();
      nowMs = Date.now();
    });
    after(() => server?.stop());

    async function signIn() {
      const start = await startAuthorization(config, apps.redirectUri);
      const callback = await signInAndConsent(server, start);
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      assert.ok(tokens.refresh_token);
      return tokens;
    }

    const isInvalidGrant = (error: oidc.ResponseBodyError) => error.error === 'invalid_grant';

    test('the database fails between consume and save: the retry with the same refresh token works, and so does the next refresh', async () => {
      const tokens = await signIn();
      await server.database.knex('fail_inserts').insert({ model: 'RefreshToken' });
      const failed = await refresh(server, apps.publicClientId, tokens.refresh_token!);
      assert.ok(failed.status >= 500, `expected a server-side failure, got ${failed.status}`);
      assert.equal(failed.body['refresh_token'], undefined);
      await server.database.knex('fail_inserts').delete();

      const retried = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal((await introspectAsApp(config, retried.access_token))['active'], true, 'the grant survived');
      const next = await oidc.refreshTokenGrant(config, retried.refresh_token!);
      assert.equal((await introspectAsApp(config, next.access_token))['active'], true);
    });

    test('the database fails after the rotation was saved: the retry within the grace window rotates again', async () => {
      const tokens = await signIn();
      // The opaque access token is saved after the new refresh token.
      await server.database.knex('fail_inserts').insert({ model: 'AccessToken' });
      const failed = await refresh(server, apps.publicClientId, tokens.refresh_token!);
      assert.ok(failed.status >= 500, `expected a server-side failure, got ${failed.status}`);
      await server.database.knex('fail_inserts').delete();

      const retried = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      const next = await oidc.refreshTokenGrant(config, retried.refresh_token!);
      assert.equal((await introspectAsApp(config, next.access_token))['active'], true, 'the grant survived');
    });

    test('a retry of a rotation whose answer was lost gets a new pair; the lost refresh token is retired, and presenting it revokes the grant', async () => {
      const tokens = await signIn();
      const lost = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      const retried = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.notEqual(retried.refresh_token, lost.refresh_token);
      assert.equal((await oidc.tokenIntrospection(config, lost.refresh_token!)).active, false, 'one live refresh token per grant');
      assert.equal((await oidc.tokenIntrospection(config, retried.refresh_token!)).active, true);

      const next = await oidc.refreshTokenGrant(config, retried.refresh_token!);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), isInvalidGrant, 'its successor was used: this is reuse');
      assert.equal((await introspectAsApp(config, next.access_token))['active'], false, 'reuse revoked the grant');
      await assert.rejects(oidc.refreshTokenGrant(config, lost.refresh_token!), isInvalidGrant);
    });

    test('presenting the retired refresh token of a retried rotation revokes the grant', async () => {
      const tokens = await signIn();
      const lost = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      const retried = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      await assert.rejects(oidc.refreshTokenGrant(config, lost.refresh_token!), isInvalidGrant);
      assert.equal((await introspectAsApp(config, retried.access_token))['active'], false);
      await assert.rejects(oidc.refreshTokenGrant(config, retried.refresh_token!), isInvalidGrant);
    });

    test('after the grace window, a rotated refresh token is reuse and revokes the grant (injected clock)', async () => {
      const tokens = await signIn();
      const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      nowMs += (server.config.refreshRetryGraceSeconds + 1) * 1000;
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), isInvalidGrant);
      await assert.rejects(oidc.refreshTokenGrant(config, rotated.refresh_token!), isInvalidGrant, 'the grant is gone');
    });
  });
}
