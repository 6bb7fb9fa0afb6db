import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify } from 'jose';
import { KeyStoreError, SIGNING_ALGORITHMS } from '../../keys/key-store.js';
import { databaseVariants } from '../helpers/databases.js';
import { KeyStoreFixture, privateJwks } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`KeyStore: keys and what the provider sees (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new KeyStoreFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());
    beforeEach(() => fixture.reset());

    it('initialize creates one active and one next ES256 key, and running it again changes nothing', async () => {
      const store = fixture.keyStore();
      await store.initialize();
      const first = await fixture.rows();
      assert.deepEqual(first.map((row) => [row.state, row.alg]).sort(), [['active', 'ES256'], ['next', 'ES256']]);
      await store.initialize();
      assert.deepEqual(await fixture.rows(), first);
    });

    it('initialize repairs a database that lost its active key by letting the published next key sign', async () => {
      await fixture.keyStore().initialize();
      const [next] = await fixture.kidsIn('next');
      await fixture.database.knex('signing_keys').where({ state: 'active' }).delete();
      await fixture.keyStore().initialize();
      assert.deepEqual(await fixture.kidsIn('active'), [next]);
      assert.equal((await fixture.kidsIn('next')).length, 1);
    });

    it('two processes initializing at once still end with exactly one active and one next key', async () => {
      const otherProcess = fixture.keyStore({ database: fixture.connect() });
      await Promise.all([fixture.keyStore().initialize(), fixture.keyStore().initialize(), otherProcess.initialize()]);
      assert.equal((await fixture.rows()).length, 2);
      assert.equal((await fixture.kidsIn('active')).length, 1);
      assert.equal((await fixture.kidsIn('next')).length, 1);
    });

    it('a restart (new store, new connection) reuses the same keys', async () => {
      await fixture.keyStore().initialize();
      const beforeRestart = await fixture.keyStore().current();
      const restarted = fixture.keyStore({ database: fixture.connect() });
      await restarted.initialize();
      const afterRestart = await restarted.current();
      assert.equal(afterRestart.activeKid, beforeRestart.activeKid);
      assert.equal(afterRestart.version, beforeRestart.version);
      assert.deepEqual(afterRestart.publicJwks, beforeRestart.publicJwks);
    });

    it('current() gives private JWKs active first, public JWKs without private members, and a matching version', async () => {
      const store = fixture.keyStore();
      await store.initialize();
      const [active] = await fixture.kidsIn('active');
      const [next] = await fixture.kidsIn('next');
      const keys = await store.current();
      assert.equal(keys.activeKid, active);
      assert.deepEqual(privateJwks(keys.signingKeys).map((jwk) => jwk.kid), [active, next]);
      assert.deepEqual(keys.publicJwks.map((jwk) => jwk.kid), [active, next]);
      for (const jwk of privateJwks(keys.signingKeys)) {
        assert.equal(typeof jwk.d, 'string');
        assert.equal(jwk.alg, 'ES256');
        assert.equal(jwk.use, 'sig');
      }
      for (const jwk of keys.publicJwks) assert.equal(jwk.d, undefined);
      assert.equal(await store.version(), keys.version);
    });

    it('stores private keys only sealed: no row holds a plaintext "d" member', async () => {
      const store = fixture.keyStore();
      await store.initialize();
      await store.rotate();
      for (const row of await fixture.rows()) {
        assert.ok(!row.public_jwk.includes('"d"'), `public_jwk of ${row.kid} holds a private member`);
        assert.ok(row.sealed_private?.startsWith('v1.'), `sealed_private of ${row.kid} is not sealed`);
        assert.ok(!row.sealed_private?.includes('"d"'));
      }
    });

    it('list() describes every key without private material', async () => {
      const store = fixture.keyStore();
      await store.initialize();
      const keys = await store.list();
      assert.equal(keys.length, 2);
      for (const key of keys) {
        assert.deepEqual(Object.keys(key).sort(), [
          'activatedAt', 'alg', 'createdAt', 'kid', 'retireAfter', 'retiredAt', 'retiringAt', 'revokedAt', 'state',
        ]);
        assert.equal(key.createdAt, fixture.clock.now);
      }
      assert.equal(keys.find((key) => key.state === 'active')?.activatedAt, fixture.clock.now);
    });

    it('refuses a sealed private key copied onto another kid (AAD binds it to its row)', async () => {
      const store = fixture.keyStore();
      await store.initialize();
      const [active] = await fixture.kidsIn('active');
      const [next] = await fixture.kidsIn('next');
      const activeRow = await fixture.row(active ?? '');
      await fixture.database.knex('signing_keys').where({ kid: next }).update({ sealed_private: activeRow.sealed_private });
      await assert.rejects(store.current(), (error: unknown) => {
        assert.ok(error instanceof KeyStoreError);
        assert.equal(error.code, 'ERR_KEY_UNREADABLE');
        assert.match(error.message, new RegExp(next ?? ''));
        return true;
      });
    });

    it('refuses to read keys sealed under a secret that is no longer configured', async () => {
      await fixture.keyStore().initialize();
      await assert.rejects(fixture.keyStore({ secrets: [fixture.secret.split('').reverse().join('')] }).current(), {
        code: 'ERR_KEY_UNREADABLE',
      });
    });

    it('current() before initialize() says so', async () => {
      await assert.rejects(fixture.keyStore().current(), { code: 'ERR_KEYS_NOT_INITIALIZED' });
      await assert.rejects(fixture.keyStore().rotate(), { code: 'ERR_KEYS_NOT_INITIALIZED' });
    });

    it('the database allows no second active key, and no private part on a retired key', async () => {
      await fixture.keyStore().initialize();
      const [active] = await fixture.rows();
      assert.ok(active);
      const table = () => fixture.database.knex('signing_keys');
      const copy = { ...active, kid: 'another-kid', state: 'active' as const };
      await assert.rejects(table().insert(copy));
      await assert.rejects(table().insert({ ...copy, state: 'next' }));
      await assert.rejects(table().insert({ ...copy, state: 'retired' }));
      await assert.rejects(table().insert({ ...copy, state: 'revoked' }));
      // The same rows are accepted where the lifecycle allows them.
      await table().insert({ ...copy, state: 'retiring' });
      await table().insert({ ...copy, kid: 'retired-kid', state: 'retired', sealed_private: null });
      await assert.rejects(table().insert({ ...copy, kid: 'retiring-kid', state: 'retiring', sealed_private: null }));
    });

    for (const alg of SIGNING_ALGORITHMS) {
      it(`${alg} keys sign a JWT that verifies against the published keys`, async () => {
        const store = fixture.keyStore({ defaultAlg: alg });
        await store.initialize();
        const keys = await store.current();
        const [signingJwk] = privateJwks(keys.signingKeys);
        assert.ok(signingJwk);
        assert.equal(signingJwk.alg, alg);
        if (alg === 'RS256' || alg === 'PS256') {
          assert.equal(Buffer.from(signingJwk.n ?? '', 'base64url').length * 8, 2048);
        }
        const jwt = await new SignJWT({ scope: 'read' })
          .setProtectedHeader({ alg, kid: keys.activeKid, typ: 'at+jwt' })
          .setIssuer('https://tollgate.test')
          .setExpirationTime('5m')
          .sign(await importJWK(signingJwk, alg));
        const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet({ keys: keys.publicJwks }), {
          issuer: 'https://tollgate.test',
          algorithms: [alg],
        });
        assert.equal(payload['scope'], 'read');
        assert.equal(protectedHeader.kid, keys.activeKid);
      });
    }

    it('refuses an unsupported algorithm', async () => {
      assert.throws(() => fixture.keyStore({ defaultAlg: 'HS256' as never }), { code: 'ERR_UNSUPPORTED_ALGORITHM' });
      await fixture.keyStore().initialize();
      await assert.rejects(fixture.keyStore().rotate({ alg: 'none' as never }), { code: 'ERR_UNSUPPORTED_ALGORITHM' });
    });
  });
}
