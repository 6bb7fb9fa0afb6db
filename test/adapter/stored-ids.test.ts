import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashClearIds } from '../../adapters/hash-clear-ids.js';
import { OIDC_MODELS_TABLE } from '../../adapters/knex-adapter.js';
import { createIdProtection } from '../../adapters/stored-ids.js';
import { databaseVariants } from '../helpers/databases.js';
import { START_S, TEST_IDS, useAdapterDatabase } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`token ids at rest (${variant.kind})`, { skip: variant.skip }, () => {
    const db = useAdapterDatabase(variant.kind);

    test('a token id is stored as a keyed hash and its payload without jti; the id the caller gives finds it', async () => {
      await db.adapterFor('RefreshToken').upsert('live-refresh-token', { iat: START_S, jti: 'live-refresh-token', kind: 'RefreshToken' }, 60);
      const [row] = await db.rows();
      assert.match(row?.id ?? '', /^h1\.[\w-]{43}$/);
      assert.equal(JSON.stringify(row).includes('live-refresh-token'), false);
      assert.equal((await db.adapterFor('RefreshToken').find('live-refresh-token'))?.jti, 'live-refresh-token');
    });

    test('a session found by uid gets its id back from the sealed copy; a grant id stays clear', async () => {
      await db.adapterFor('Session').upsert('session-cookie-value', { iat: START_S, jti: 'session-cookie-value', kind: 'Session', uid: 'u1' }, 60);
      await db.adapterFor('Grant').upsert('grant-1', { iat: START_S, jti: 'grant-1', kind: 'Grant' }, 60);
      assert.equal((await db.adapterFor('Session').findByUid('u1'))?.jti, 'session-cookie-value');
      assert.equal(JSON.stringify(await db.rows()).includes('session-cookie-value'), false);
      assert.ok(await db.row('Grant', 'grant-1'));
      assert.equal((await db.rows()).find((row) => row.model === 'Grant')?.id, 'grant-1');
    });

    test('rows stored in clear before the upgrade are hashed at start, keep working, and a second run changes nothing', async () => {
      const clear = (model: string, id: string, payload: Record<string, unknown>, uid: string | null = null) => ({
        model,
        id,
        payload: JSON.stringify({ iat: START_S, jti: id, kind: model, ...payload }),
        grant_id: model === 'Grant' || model === 'Session' ? null : 'g1',
        uid,
        user_code: null,
        expires_at: START_S + 3600,
        consumed_at: null,
      });
      await db.knex(OIDC_MODELS_TABLE).insert([
        clear('RefreshToken', 'old-refresh-token', { grantId: 'g1' }),
        clear('AccessToken', 'old-access-token', { grantId: 'g1' }),
        clear('Session', 'old-session-cookie', { uid: 'su1' }, 'su1'),
        clear('Grant', 'g1', {}),
      ]);
      assert.equal(await hashClearIds(db.knex, TEST_IDS), 3);
      const text = JSON.stringify(await db.rows());
      for (const value of ['old-refresh-token', 'old-access-token', 'old-session-cookie']) assert.equal(text.includes(value), false, value);
      assert.equal((await db.adapterFor('RefreshToken').find('old-refresh-token'))?.grantId, 'g1');
      assert.ok(await db.adapterFor('AccessToken').find('old-access-token'));
      assert.equal((await db.adapterFor('Session').findByUid('su1'))?.jti, 'old-session-cookie');
      assert.equal(await hashClearIds(db.knex, TEST_IDS), 0);
    });

    test('in a rolling upgrade, a clear row whose hashed twin exists is dropped and its consumption kept', async () => {
      await db.adapterFor('AuthorizationCode').upsert('twin-code', { iat: START_S, jti: 'twin-code', kind: 'AuthorizationCode', grantId: 'g2' }, 60);
      await db.knex(OIDC_MODELS_TABLE).insert({
        model: 'AuthorizationCode', id: 'twin-code', grant_id: 'g2', uid: null, user_code: null,
        payload: JSON.stringify({ iat: START_S, jti: 'twin-code', kind: 'AuthorizationCode', grantId: 'g2' }),
        expires_at: START_S + 60, consumed_at: START_S,
      });
      assert.equal(await hashClearIds(db.knex, TEST_IDS), 1);
      const rows = await db.rows();
      assert.deepEqual(rows.map((row) => row.id), [TEST_IDS.storedId('AuthorizationCode', 'twin-code')]);
      assert.ok((await db.adapterFor('AuthorizationCode').find('twin-code'))?.consumed, 'the clear copy was consumed: so is the one kept');
    });

    test('after TOLLGATE_SECRET rotates, ids hashed under the previous secret are still found, and a re-save moves them', async () => {
      const before = createIdProtection(['the-old-secret-0123456789abcdef0']);
      const after = createIdProtection(['the-new-secret-0123456789abcdef0', 'the-old-secret-0123456789abcdef0']);
      await db.adapterFor('Session', { ids: before }).upsert('cookie', { iat: START_S, jti: 'cookie', kind: 'Session' }, 60);
      const sessions = db.adapterFor('Session', { ids: after });
      assert.equal((await sessions.find('cookie'))?.jti, 'cookie');
      await sessions.upsert('cookie', { iat: START_S, jti: 'cookie', kind: 'Session', loginTs: START_S }, 60);
      assert.deepEqual((await db.rows()).map((row) => row.id), [after.storedId('Session', 'cookie')]);
      assert.equal((await sessions.find('cookie'))?.loginTs, START_S);
    });

    test('a re-save that moves a row to the newest secret keeps it consumed if another request consumed it meanwhile', async () => {
      const before = createIdProtection(['the-old-secret-0123456789abcdef0']);
      const after = createIdProtection(['the-new-secret-0123456789abcdef0', 'the-old-secret-0123456789abcdef0']);
      await db.adapterFor('AuthorizationCode', { ids: before }).upsert('code-1', { iat: START_S, jti: 'code-1', kind: 'AuthorizationCode', grantId: 'g1' }, 60);
      const codes = db.adapterFor('AuthorizationCode', { ids: after });
      // Loaded unconsumed, then consumed by a concurrent request, then re-saved from the stale copy.
      const loaded = await codes.find('code-1');
      assert.equal(loaded?.consumed, undefined);
      await codes.consume('code-1');
      await codes.upsert('code-1', { ...loaded!, kind: 'AuthorizationCode' }, 60);
      assert.deepEqual((await db.rows()).map((row) => row.id), [after.storedId('AuthorizationCode', 'code-1')]);
      assert.ok((await codes.find('code-1'))?.consumed, 'the moved row is still consumed');
    });
  });
}
