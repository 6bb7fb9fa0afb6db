import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors, type AdapterPayload } from 'oidc-provider';
import { databaseVariants } from '../helpers/databases.js';
import { START_S, useAdapterDatabase } from './fixture.js';

const payload = (fields: AdapterPayload = {}): AdapterPayload => ({ iat: START_S, kind: 'AccessToken', ...fields });

/** Asserts an oidc-provider error a client would see as `error` (not a database error). */
const oauthError = (code: string) => (thrown: unknown) => {
  assert.ok(thrown instanceof errors.OIDCProviderError, `expected an oidc-provider error, got ${String(thrown)}`);
  assert.equal(thrown.error, code);
  assert.equal(thrown.status, 400);
  return true;
};

// The semantics suite of the adapter contract (oidc-provider's memory
// adapter is the reference), run against every database Tollgate supports.
for (const variant of databaseVariants) {
  describe(`knex adapter (${variant.kind})`, { skip: variant.skip }, () => {
    const db = useAdapterDatabase(variant.kind);
    const adapterFor = (model: string) => db.adapterFor(model);
    /** `model:id` as stored, for comparing with `labels()`. */
    const stored = (label: string) => {
      const [model = '', id = ''] = label.split(':');
      return `${model}:${db.storedId(model, id)}`;
    };
    const labels = async () => (await db.rows()).map((row) => `${row.model}:${row.id}`).sort();

    test('upsert twice keeps one row, and the second write wins in every column', async () => {
      const tokens = adapterFor('AccessToken');
      await tokens.upsert('t1', payload({ scope: 'first', grantId: 'g1' }), 60);
      db.advance(5);
      await tokens.upsert('t1', payload({ scope: 'second', grantId: 'g2' }), 120);
      const rows = await db.rows();
      assert.equal(rows.length, 1);
      assert.deepEqual(
        { grant: rows[0]?.grant_id, expires: rows[0]?.expires_at, scope: JSON.parse(rows[0]?.payload ?? '{}').scope },
        { grant: 'g2', expires: START_S + 5 + 120, scope: 'second' },
      );
      assert.equal((await tokens.find('t1'))?.scope, 'second');
    });

    test('find returns the stored payload; a missing id, or another model\'s id, is undefined', async () => {
      const stored = payload({ jti: 'shared', scope: 'openid', extra: { nested: [1, 'two', null] } });
      await adapterFor('AccessToken').upsert('shared', stored, 60);
      assert.deepEqual(await adapterFor('AccessToken').find('shared'), stored);
      assert.equal(await adapterFor('AccessToken').find('missing'), undefined);
      assert.equal(await adapterFor('RefreshToken').find('shared'), undefined);
    });

    test('an expired row is invisible before the sweeper deletes it (injected clock)', async () => {
      const tokens = adapterFor('AccessToken');
      await tokens.upsert('short', payload(), 10);
      db.advance(10);
      assert.ok(await tokens.find('short'), 'still valid in its last second');
      db.advance(1);
      assert.equal(await tokens.find('short'), undefined);
      assert.equal((await db.row('AccessToken', 'short'))?.expires_at, START_S + 10, 'the row itself stays for the sweeper');
    });

    test('expiresIn undefined stores expires_at NULL and never expires', async () => {
      const grants = adapterFor('Grant');
      await grants.upsert('forever', payload({ kind: 'Grant' }), undefined);
      assert.equal((await db.row('Grant', 'forever'))?.expires_at, null);
      db.advance(10 * 365 * 24 * 3600);
      assert.equal((await grants.find('forever'))?.kind, 'Grant');
    });

    test('lookup columns are filled from the payload; grant_id only for grant members', async () => {
      await adapterFor('DeviceCode').upsert('d1', payload({ grantId: 'g1', userCode: 'ABCD-EFGH' }), 60);
      await adapterFor('Session').upsert('s1', payload({ uid: 'uid-1' }), 60);
      await adapterFor('Interaction').upsert('i1', payload({ grantId: 'g1', uid: 'i1' }), 60);
      const columns = (await db.rows()).map((row) => [row.model, row.grant_id, row.uid, row.user_code]);
      assert.deepEqual(columns, [
        ['DeviceCode', 'g1', null, 'ABCD-EFGH'],
        ['Interaction', null, 'i1', null],
        ['Session', null, 'uid-1', null],
      ]);
    });

    test('consume marks consumed_at, keeps the row, shows `consumed` through find, and never moves', async () => {
      const codes = adapterFor('AuthorizationCode');
      await codes.upsert('c1', payload({ kind: 'AuthorizationCode', grantId: 'g1' }), 60);
      db.advance(3);
      await codes.consume('c1');
      assert.equal((await db.row('AuthorizationCode', 'c1'))?.consumed_at, START_S + 3);
      assert.equal((await codes.find('c1'))?.consumed, START_S + 3);

      db.advance(5);
      await assert.rejects(codes.consume('c1'), oauthError('invalid_grant'));
      assert.equal((await db.row('AuthorizationCode', 'c1'))?.consumed_at, START_S + 3);
      assert.equal((await db.rows()).length, 1);
    });

    test('concurrent consumers: exactly one marks the row, every other one is refused', async () => {
      const tokens = adapterFor('RefreshToken');
      await tokens.upsert('r1', payload({ kind: 'RefreshToken' }), 60);
      // Separate adapter instances, as separate server processes would have.
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapterFor('RefreshToken').consume('r1')));
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected') oauthError('invalid_grant')(result.reason);
      }
      assert.equal((await db.row('RefreshToken', 'r1'))?.consumed_at, START_S);
    });

    test('consume of a missing row is refused; a PAR is refused as an invalid request_uri', async () => {
      await assert.rejects(adapterFor('AuthorizationCode').consume('missing'), oauthError('invalid_grant'));
      const requests = adapterFor('PushedAuthorizationRequest');
      await requests.upsert('par', payload({ kind: 'PushedAuthorizationRequest' }), 60);
      await requests.consume('par');
      await assert.rejects(requests.consume('par'), oauthError('invalid_request_uri'));
    });

    test('re-saving a consumed model does not make it usable again', async () => {
      const tokens = adapterFor('RefreshToken');
      await tokens.upsert('r1', payload({ kind: 'RefreshToken' }), 60);
      await tokens.consume('r1');
      await tokens.upsert('r1', payload({ kind: 'RefreshToken', scope: 'stale copy' }), 60);
      assert.equal((await tokens.find('r1'))?.consumed, START_S);
    });

    test('destroy removes that model\'s row only', async () => {
      await adapterFor('AccessToken').upsert('a', payload(), 60);
      await adapterFor('AccessToken').upsert('b', payload(), 60);
      await adapterFor('RefreshToken').upsert('a', payload(), 60);
      await adapterFor('AccessToken').destroy('a');
      await adapterFor('AccessToken').destroy('never-stored');
      assert.deepEqual(await labels(), ['AccessToken:b', 'RefreshToken:a'].map(stored).sort());
    });

    test('revokeByGrantId deletes every member of the grant across models and leaves the rest', async () => {
      for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode']) {
        await adapterFor(model).upsert(`${model}-g1`, payload({ grantId: 'g1' }), 60);
      }
      await adapterFor('AccessToken').upsert('other-grant', payload({ grantId: 'g2' }), 60);
      await adapterFor('AccessToken').upsert('no-grant', payload(), 60);
      await adapterFor('Interaction').upsert('consent', payload({ grantId: 'g1' }), 60);
      await adapterFor('Grant').upsert('g1', payload({ kind: 'Grant' }), 60);

      await adapterFor('AccessToken').revokeByGrantId('g1');
      assert.deepEqual(await labels(), ['AccessToken:no-grant', 'AccessToken:other-grant', 'Grant:g1', 'Interaction:consent'].map(stored).sort());
    });

    test('findByUid and findByUserCode find their model\'s row and hide expired ones', async () => {
      const sessions = adapterFor('Session');
      await sessions.upsert('s1', payload({ kind: 'Session', uid: 'uid-1' }), 60);
      assert.equal((await sessions.findByUid('uid-1'))?.kind, 'Session');
      assert.equal(await sessions.findByUid('uid-2'), undefined);
      assert.equal(await adapterFor('Interaction').findByUid('uid-1'), undefined);

      const devices = adapterFor('DeviceCode');
      await devices.upsert('d1', payload({ jti: 'd1', kind: 'DeviceCode', userCode: 'ABCD-EFGH' }), 30);
      await devices.consume('d1');
      assert.deepEqual(await devices.findByUserCode('ABCD-EFGH'), { ...payload({ jti: 'd1', kind: 'DeviceCode', userCode: 'ABCD-EFGH' }), consumed: START_S });
      assert.equal(await devices.findByUserCode('WXYZ-WXYZ'), undefined);
      db.advance(31);
      assert.equal(await devices.findByUserCode('ABCD-EFGH'), undefined);
      assert.ok(await sessions.findByUid('uid-1'));
    });
  });
}
