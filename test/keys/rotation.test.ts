import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KeyStoreError } from '../../keys/key-store.js';
import { databaseBackend } from '../../keys/database-backend.js';
import { sealGeneratedKey } from '../../keys/key-store.js';
import { rotateKeys } from '../../keys/rotation.js';
import { lockSigningKeys } from '../../keys/signing-keys-table.js';
import { createSealer } from '../../keys/seal.js';
import { databaseVariants } from '../helpers/databases.js';
import { KeyStoreFixture, RETIRE_AFTER_MS, newSecret, privateJwks } from './fixture.js';

const kidsOf = (jwks: readonly { kid?: string }[]) => jwks.map((jwk) => jwk.kid);

function rejectedWith(results: PromiseSettledResult<unknown>[]): string[] {
  return results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason instanceof KeyStoreError ? result.reason.code : String(result.reason)] : [],
  );
}

for (const variant of databaseVariants) {
  describe(`KeyStore: rotate, retire, revoke, reseal (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new KeyStoreFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());
    beforeEach(() => fixture.reset());

    async function initialized(options: Parameters<KeyStoreFixture['keyStore']>[0] = {}) {
      const store = fixture.keyStore(options);
      await store.initialize();
      const [active] = await fixture.kidsIn('active');
      const [next] = await fixture.kidsIn('next');
      assert.ok(active && next);
      return { store, active, next };
    }

    it('rotate promotes the already published next key, demotes the active one and publishes a new next', async () => {
      const { store, active, next } = await initialized();
      const versionBefore = await store.version();
      fixture.clock.now += 60_000;
      const result = await store.rotate();
      assert.deepEqual({ activated: result.activated, retiring: result.retiring }, { activated: next, retiring: active });
      assert.deepEqual(await fixture.kidsIn('active'), [next]);
      assert.deepEqual(await fixture.kidsIn('retiring'), [active]);
      assert.deepEqual(await fixture.kidsIn('next'), [result.next]);
      const retiring = await fixture.row(active);
      assert.equal(retiring.retiring_at, fixture.clock.now);
      assert.equal(retiring.retire_after, fixture.clock.now + RETIRE_AFTER_MS);
      assert.equal((await fixture.row(next)).activated_at, fixture.clock.now);

      const keys = await store.current();
      assert.equal(keys.activeKid, next);
      assert.deepEqual(kidsOf(privateJwks(keys.signingKeys)), [next, result.next, active]);
      assert.deepEqual(kidsOf(keys.publicJwks), [next, result.next, active]);
      assert.notEqual(keys.version, versionBefore);
      assert.equal(await store.version(), keys.version);
    });

    it('rotate({ alg }) gives the new next key that algorithm; it signs after the following rotation', async () => {
      const { store } = await initialized();
      const first = await store.rotate({ alg: 'EdDSA' });
      assert.equal((await fixture.row(first.activated)).alg, 'ES256');
      assert.equal((await fixture.row(first.next)).alg, 'EdDSA');
      const second = await store.rotate();
      assert.equal(second.activated, first.next);
      assert.equal(privateJwks((await store.current()).signingKeys)[0]?.alg, 'EdDSA');
      assert.equal((await fixture.row(second.next)).alg, 'EdDSA');
    });

    it('rotations racing each other, in one process and in two, never leave two active or two next keys', async () => {
      const { active, next } = await initialized();
      const results = await Promise.allSettled([
        fixture.keyStore().rotate(),
        fixture.keyStore().rotate(),
        fixture.keyStore({ database: fixture.connect() }).rotate(),
      ]);
      const rotations = results.filter((result) => result.status === 'fulfilled').length;
      assert.ok(rotations >= 1);
      // Which racers lose depends on timing; losing is always a conflict, never a broken state.
      assert.ok(rejectedWith(results).every((code) => code === 'ERR_ROTATION_CONFLICT'));
      assert.equal((await fixture.kidsIn('active')).length, 1);
      assert.equal((await fixture.kidsIn('next')).length, 1);
      assert.equal((await fixture.kidsIn('retiring')).length, rotations);
      assert.equal((await fixture.rows()).length, 2 + rotations);
      assert.equal((await fixture.row(active)).state, 'retiring');
      assert.notEqual((await fixture.row(next)).state, 'next');
    });

    it('with nextKeyMinAgeMs, rotations racing each other rotate exactly once', async () => {
      const { active, next } = await initialized({ nextKeyMinAgeMs: 60_000 });
      fixture.clock.now += 60_000;
      const results = await Promise.allSettled([
        fixture.keyStore({ nextKeyMinAgeMs: 60_000 }).rotate(),
        fixture.keyStore({ nextKeyMinAgeMs: 60_000, database: fixture.connect() }).rotate(),
      ]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const [code] = rejectedWith(results);
      assert.ok(code === 'ERR_ROTATION_CONFLICT' || code === 'ERR_NEXT_KEY_TOO_NEW', String(code));
      assert.deepEqual(await fixture.kidsIn('active'), [next]);
      assert.deepEqual(await fixture.kidsIn('retiring'), [active]);
      assert.equal((await fixture.rows()).length, 3);
    });

    it('a rotation that saw a next key another rotation has since promoted is refused (compare-and-set)', async () => {
      const { active, next } = await initialized();
      const replacement = sealGeneratedKey(await databaseBackend.generate('ES256'), createSealer([fixture.secret]));
      const staleRotation = fixture.database.knex.transaction(async (trx) => {
        await lockSigningKeys(trx);
        const transition = { trx, now: fixture.clock.now, retireAfterMs: RETIRE_AFTER_MS };
        return rotateKeys(transition, { expectedNextKid: active, replacement, nextKeyMinAgeMs: 0 });
      });
      await assert.rejects(staleRotation, { code: 'ERR_ROTATION_CONFLICT' });
      assert.deepEqual(await fixture.kidsIn('active'), [active]);
      assert.deepEqual(await fixture.kidsIn('next'), [next]);
    });

    it('nextKeyMinAgeMs keeps a freshly published next key from signing', async () => {
      const { store } = await initialized({ nextKeyMinAgeMs: 10 * 60_000 });
      await assert.rejects(store.rotate(), { code: 'ERR_NEXT_KEY_TOO_NEW' });
      fixture.clock.now += 10 * 60_000;
      await store.rotate();
      // The key created by that rotation is the next one now: a second rotation right away is refused.
      await assert.rejects(store.rotate(), { code: 'ERR_NEXT_KEY_TOO_NEW' });
      assert.equal((await fixture.kidsIn('retiring')).length, 1);
    });

    it('retireExpired retires a retiring key once retire_after has passed and destroys its private part', async () => {
      const { store, active } = await initialized();
      await store.rotate();
      fixture.clock.now += RETIRE_AFTER_MS - 1;
      assert.deepEqual(await store.retireExpired(), []);
      assert.deepEqual(await fixture.kidsIn('retiring'), [active]);
      const versionBefore = await store.version();

      fixture.clock.now += 1;
      assert.deepEqual(await store.retireExpired(), [active]);
      const retired = await fixture.row(active);
      assert.equal(retired.state, 'retired');
      assert.equal(retired.sealed_private, null);
      assert.equal(retired.retired_at, fixture.clock.now);
      const keys = await store.current();
      assert.ok(!kidsOf(keys.publicJwks).includes(active));
      assert.equal(keys.publicJwks.length, 2);
      assert.notEqual(keys.version, versionBefore);
      assert.deepEqual(await store.retireExpired(), []);
      // A retired key can still be marked as compromised; nothing published changes.
      assert.deepEqual(await store.revoke(active), { revoked: active, previousState: 'retired' });
      assert.equal(await store.version(), keys.version);
    });

    it('revoking the active key lets the next key sign at once, publishes a new next and destroys the private part', async () => {
      const { store, active, next } = await initialized();
      fixture.clock.now += 1_000;
      const result = await store.revoke(active);
      assert.deepEqual({ ...result, next: undefined }, { revoked: active, previousState: 'active', activated: next, next: undefined });
      const revoked = await fixture.row(active);
      assert.equal(revoked.state, 'revoked');
      assert.equal(revoked.sealed_private, null);
      assert.equal(revoked.revoked_at, fixture.clock.now);
      const keys = await store.current();
      assert.equal(keys.activeKid, next);
      assert.deepEqual(kidsOf(privateJwks(keys.signingKeys)), [next, result.next]);
      assert.deepEqual(kidsOf(keys.publicJwks), [next, result.next]);
      await assert.rejects(store.revoke(active), { code: 'ERR_KEY_ALREADY_REVOKED' });
      await assert.rejects(store.revoke('no-such-kid'), { code: 'ERR_KEY_NOT_FOUND' });
    });

    it('revoking the active key twice at once revokes it once and promotes one key', async () => {
      const { active, next } = await initialized();
      const results = await Promise.allSettled([fixture.keyStore().revoke(active), fixture.keyStore({ database: fixture.connect() }).revoke(active)]);
      assert.deepEqual(rejectedWith(results), ['ERR_KEY_ALREADY_REVOKED']);
      assert.deepEqual(await fixture.kidsIn('active'), [next]);
      assert.equal((await fixture.kidsIn('next')).length, 1);
    });

    it('revoking the next key replaces it and leaves the active key signing', async () => {
      const { store, active, next } = await initialized();
      const result = await store.revoke(next);
      assert.equal(result.previousState, 'next');
      assert.equal(result.activated, undefined);
      assert.deepEqual(await fixture.kidsIn('next'), [result.next]);
      assert.deepEqual(kidsOf((await store.current()).publicJwks), [active, result.next]);
      assert.equal((await fixture.row(next)).sealed_private, null);
    });

    it('revoking a retiring key removes it from /jwks before retire_after', async () => {
      const { store, active } = await initialized();
      const rotation = await store.rotate();
      const result = await store.revoke(active);
      assert.deepEqual(result, { revoked: active, previousState: 'retiring' });
      assert.deepEqual(kidsOf((await store.current()).publicJwks), [rotation.activated, rotation.next]);
      assert.equal((await fixture.row(active)).sealed_private, null);
    });

    it('reseal rewrites every private key under the newest secret; afterwards the old secret is not needed', async () => {
      const { store } = await initialized();
      await store.rotate();
      fixture.clock.now += RETIRE_AFTER_MS / 2;
      await store.rotate();
      fixture.clock.now += RETIRE_AFTER_MS / 2;
      // One key of each kind: active, next, retiring (sealed) and retired (destroyed).
      assert.equal((await store.retireExpired()).length, 1);
      const sealedBefore = new Map((await fixture.rows()).map((row) => [row.kid, row.sealed_private]));
      const currentBefore = await store.current();

      const newest = newSecret();
      const rotatedSecrets = fixture.keyStore({ secrets: [newest, fixture.secret] });
      assert.equal(await rotatedSecrets.reseal(), 3);
      assert.equal(await rotatedSecrets.reseal(), 0);

      const newestKeyId = createSealer([newest]).currentKeyId;
      for (const row of await fixture.rows()) {
        if (sealedBefore.get(row.kid) === null) {
          assert.equal(row.sealed_private, null);
          continue;
        }
        assert.notEqual(row.sealed_private, sealedBefore.get(row.kid));
        assert.ok(row.sealed_private?.startsWith(`v1.${newestKeyId}.`));
      }
      const currentAfter = await fixture.keyStore({ secrets: [newest] }).current();
      assert.deepEqual(privateJwks(currentAfter.signingKeys), privateJwks(currentBefore.signingKeys));
      assert.equal(currentAfter.version, currentBefore.version);
      await assert.rejects(fixture.keyStore().current(), { code: 'ERR_KEY_UNREADABLE' });
    });
  });
}
