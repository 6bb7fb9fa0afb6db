import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors, type AdapterPayload } from 'oidc-provider';
import { databaseVariants } from '../helpers/databases.js';
import { START_S, useAdapterDatabase } from './fixture.js';

// Client-controlled strings reach the adapter as payload values (a `state`,
// a `nonce`, request parameters) and as lookup keys (a token, a client_id, a
// user code). PostgreSQL refuses NUL in text and over-long varchar values
// with an error that would surface as a 500; SQLite accepts both.

test('JSON.stringify escapes NUL and lone surrogates, so the text never holds them raw', () => {
  const text = JSON.stringify({ 'k\u0000': 'a\u0000b', lone: '\ud800' });
  assert.equal(text.includes('\u0000'), false);
  assert.equal(text, '{"k\\u0000":"a\\u0000b","lone":"\\ud800"}');
});

for (const variant of databaseVariants) {
  describe(`knex adapter with untrusted input (${variant.kind})`, { skip: variant.skip }, () => {
    const db = useAdapterDatabase(variant.kind);
    const adapterFor = (model: string) => db.adapterFor(model);

    test('a payload with NUL bytes, control characters and lone surrogates round-trips exactly', async () => {
      const stored: AdapterPayload = {
        iat: START_S,
        jti: 'c1',
        kind: 'AuthorizationCode',
        nonce: 'a\u0000b',
        state: { 'key\u0000with-nul': '\u0000', control: '\u0001\u001f\t\n', lone: '\udc00x\ud83d', emoji: '😀' },
        params: { redirect_uri: 'https://client.example/cb?x=\u0000' },
      };
      await adapterFor('AuthorizationCode').upsert('c1', stored, 60);
      assert.deepEqual(await adapterFor('AuthorizationCode').find('c1'), stored);
      const row = await db.row('AuthorizationCode', 'c1');
      assert.ok(row && !row.payload.includes('\u0000') && row.payload.includes('a\\u0000b'));
    });

    test('lookups by a key with NUL answer not-found, and writes change nothing, without a database error', async () => {
      const tokens = adapterFor('DeviceCode');
      await tokens.upsert('real', { kind: 'DeviceCode', grantId: 'g', userCode: 'CODE', uid: 'u' }, 60);
      const nul = 'real\u0000';
      assert.equal(await tokens.find(nul), undefined);
      assert.equal(await tokens.findByUid(nul), undefined);
      assert.equal(await tokens.findByUserCode('CODE\u0000'), undefined);
      await tokens.destroy(nul);
      await tokens.revokeByGrantId('g\u0000');
      await assert.rejects(tokens.consume(nul), errors.InvalidGrant);
      assert.deepEqual((await db.rows()).map((row) => [row.id, row.consumed_at]), [[db.storedId('DeviceCode', 'real'), null]]);
    });

    test('upsert refuses an unstorable id or lookup key with a TypeError that does not echo the value', async () => {
      const tokens = adapterFor('Session');
      const secretish = 'secret-token\u0000';
      for (const [id, fields] of [
        [secretish, {}],
        ['', {}],
        ['x'.repeat(256), {}],
        ['ok', { uid: secretish }],
        ['ok', { userCode: 'x'.repeat(300) }],
      ] as const) {
        await assert.rejects(tokens.upsert(id, { kind: 'Session', ...fields }, 60), (thrown: unknown) => {
          assert.ok(thrown instanceof TypeError);
          assert.equal(thrown.message.includes('secret-token'), false);
          return true;
        });
      }
      assert.deepEqual(await db.rows(), []);
    });

    test('a 255-character key is stored and found on both databases', async () => {
      const id = 'k'.repeat(255);
      await adapterFor('AccessToken').upsert(id, { kind: 'AccessToken' }, 60);
      assert.equal((await adapterFor('AccessToken').find(id))?.kind, 'AccessToken');
    });
  });
}
