import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseApiKey } from '../../src/api-keys/format.js';
import { TollgateError } from '../../src/errors.js';
import { databaseVariants } from '../helpers/databases.js';
import { ApiKeyFixture, DAY_MS, START, API } from './fixture.js';

const refusedWith = (status: number, code: string, message?: RegExp) => (error: unknown) =>
  error instanceof TollgateError && error.status === status && error.error === code && (!message || message.test(error.message));

for (const variant of databaseVariants) {
  describe(`API keys: issue, list, revoke, rotate (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new ApiKeyFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());
    beforeEach(() => fixture.reset());

    it('create returns the key once, with a view of what was stored; the default lifetime is 90 days', async () => {
      const { keys, events } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: 'acme', name: 'billing export', scopes: ['invoices:read'], createdBy: 'ops@acme' });
      const parsed = parseApiKey(key);
      assert.equal(parsed?.env, 'live');
      assert.equal(parsed?.id, apiKey.id);
      assert.deepEqual(apiKey, {
        id: apiKey.id,
        tenantId: fixture.acme.id,
        tenantSlug: 'acme',
        env: 'live',
        name: 'billing export',
        scopes: ['invoices:read'],
        resources: [API],
        createdBy: 'ops@acme',
        createdAt: START,
        expiresAt: START + 90 * DAY_MS,
        revokedAt: null,
        lastUsedAt: null,
        rotatedAt: null,
        replacedBy: null,
        status: 'active',
      });
      assert.deepEqual(events, [{ type: 'api_key.created', apiKeyId: apiKey.id, tenantId: fixture.acme.id, resources: [API], scopes: ['invoices:read'], actor: 'ops@acme' }]);
    });

    it('the tenant may be given by id; env test gives a tg_test_ key; expiresIn sets the lifetime', async () => {
      const { keys } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: fixture.globex.id, name: 'ci', scopes: [], env: 'test', expiresIn: '12h' });
      assert.match(key, /^tg_test_/);
      assert.equal(apiKey.tenantSlug, 'globex');
      assert.equal(apiKey.expiresAt, START + 12 * 3_600_000);
    });

    it('expiresIn "never" stores a NULL expiry, and only when asked for explicitly', async () => {
      const { keys } = fixture.process();
      const { apiKey } = await keys.create({ resources: [API], tenant: 'acme', name: 'forever', scopes: [], expiresIn: 'never' });
      assert.equal(apiKey.expiresAt, null);
      assert.equal((await fixture.row(apiKey.id)).expires_at, null);
    });

    it('bad input is refused with invalid_request naming the problem, and nothing is stored', async () => {
      const { keys } = fixture.process();
      const base = { resources: [API], tenant: 'acme', name: 'x', scopes: ['read'] };
      await assert.rejects(keys.create({ ...base, tenant: 'nope' }), refusedWith(400, 'invalid_request', /tenant nope does not exist/));
      await assert.rejects(keys.create({ ...base, admin: true } as typeof base), refusedWith(400, 'invalid_request', /admin is not a recognised field/));
      await assert.rejects(keys.create({ ...base, scopes: ['has space'] }), refusedWith(400, 'invalid_request', /scopes/));
      await assert.rejects(keys.create({ ...base, scopes: ['a"b'] }), refusedWith(400, 'invalid_request', /scopes/));
      await assert.rejects(keys.create({ ...base, expiresIn: '10s' }), refusedWith(400, 'invalid_request', /expiresIn must be between/));
      await assert.rejects(keys.create({ ...base, expiresIn: 'soon' }), refusedWith(400, 'invalid_request', /expiresIn must be/));
      await assert.rejects(keys.create({ ...base, env: 'prod' } as unknown as typeof base), refusedWith(400, 'invalid_request', /env/));
      await assert.rejects(keys.create({ ...base, name: '' }), refusedWith(400, 'invalid_request', /name/));
      assert.deepEqual(await fixture.rows(), []);
    });

    it('list and get never show the key or its hash, and list filters by tenant slug or id', async () => {
      const { keys } = fixture.process();
      const first = await keys.create({ resources: [API], tenant: 'acme', name: 'one', scopes: ['a'] });
      fixture.clock.now += 1;
      const second = await keys.create({ resources: [API], tenant: 'acme', name: 'two', scopes: ['b'] });
      const other = await keys.create({ resources: [API], tenant: 'globex', name: 'three', scopes: [] });

      const all = await keys.list();
      assert.deepEqual(all.map((view) => view.name).sort(), ['one', 'three', 'two']);
      assert.deepEqual((await keys.list({ tenant: 'acme' })).map((view) => view.id), [first.apiKey.id, second.apiKey.id]);
      assert.deepEqual((await keys.list({ tenant: fixture.globex.id })).map((view) => view.id), [other.apiKey.id]);
      assert.deepEqual(await keys.list({ tenant: 'nobody' }), []);

      const shown = JSON.stringify([all, await keys.get(first.apiKey.id)]);
      assert.ok(!shown.includes('tg_'), 'a key prefix appears in the listing');
      assert.ok(!shown.includes('argon2'), 'a hash appears in the listing');
      for (const { key } of [first, second, other]) assert.ok(!shown.includes(parseApiKey(key)!.secret));
    });

    it('the database holds only an argon2id hash: no column of any row contains a key or a secret', async () => {
      const { keys } = fixture.process();
      const issued = [
        await keys.create({ resources: [API], tenant: 'acme', name: 'one', scopes: ['a'] }),
        await keys.create({ resources: [API], tenant: 'acme', name: 'two', scopes: [], expiresIn: 'never' }),
      ];
      issued.push(await keys.rotate(issued[0]!.apiKey.id, { overlap: 60 }));
      const rows = await fixture.rows();
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.match(row.secret_hash, /^\$argon2id\$/);
        for (const { key } of issued) {
          const { secret } = parseApiKey(key)!;
          for (const [column, value] of Object.entries(row)) {
            assert.ok(!String(value).includes(secret), `column ${column} holds a secret`);
            assert.ok(!String(value).includes(key), `column ${column} holds a key`);
          }
        }
      }
    });

    it('get of an unknown id is not_found; a pasted full key is refused without being echoed', async () => {
      const { keys } = fixture.process();
      const { key } = await keys.create({ resources: [API], tenant: 'acme', name: 'one', scopes: [] });
      await assert.rejects(keys.get('0000000000000000000000'), refusedWith(404, 'not_found', /API key 0000000000000000000000 does not exist/));
      for (const attempt of [() => keys.get(key), () => keys.revoke(key), () => keys.rotate(key, { overlap: 0 })]) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(error instanceof TollgateError && error.status === 400, String(error));
          assert.ok(!error.message.includes(parseApiKey(key)!.secret), 'the error message echoes the secret');
          return true;
        });
      }
      await assert.rejects(keys.revoke('x\u0000y'), refusedWith(404, 'not_found', /API key with that id does not exist/));
    });

    it('revoke marks the key revoked; revoking again changes nothing and reports once', async () => {
      const { keys, events } = fixture.process();
      const { apiKey } = await keys.create({ resources: [API], tenant: 'acme', name: 'one', scopes: [] });
      fixture.clock.now += 5_000;
      const revoked = await keys.revoke(apiKey.id);
      assert.equal(revoked.status, 'revoked');
      assert.equal(revoked.revokedAt, START + 5_000);
      fixture.clock.now += 5_000;
      assert.equal((await keys.revoke(apiKey.id)).revokedAt, START + 5_000);
      assert.deepEqual(events.filter((event) => event.type === 'api_key.revoked'), [
        { type: 'api_key.revoked', apiKeyId: apiKey.id, tenantId: fixture.acme.id },
      ]);
    });

    it('rotate issues a new key with the same tenant, name, scopes, env and lifetime, and cuts the old one to the overlap', async () => {
      const { keys, events } = fixture.process();
      const old = await keys.create({ resources: [API], tenant: 'acme', name: 'partner', scopes: ['a', 'b'], env: 'test', expiresIn: '30d' });
      fixture.clock.now += 10 * DAY_MS;
      const rotated = await keys.rotate(old.apiKey.id, { overlap: 3_600 });
      assert.notEqual(rotated.apiKey.id, old.apiKey.id);
      assert.match(rotated.key, /^tg_test_/);
      assert.notEqual(rotated.key, old.key);
      assert.deepEqual(
        { tenant: rotated.apiKey.tenantSlug, name: rotated.apiKey.name, scopes: rotated.apiKey.scopes, expiresAt: rotated.apiKey.expiresAt },
        { tenant: 'acme', name: 'partner', scopes: ['a', 'b'], expiresAt: START + 40 * DAY_MS },
      );
      assert.equal(rotated.previous.replacedBy, rotated.apiKey.id);
      assert.equal(rotated.previous.rotatedAt, START + 10 * DAY_MS);
      assert.equal(rotated.previous.expiresAt, START + 10 * DAY_MS + 3_600_000);
      assert.equal(rotated.previous.status, 'active');
      assert.deepEqual(events.at(-1), {
        type: 'api_key.rotated',
        apiKeyId: old.apiKey.id,
        tenantId: fixture.acme.id,
        replacedBy: rotated.apiKey.id,
        overlapSeconds: 3_600,
      });
      assert.ok(!JSON.stringify(events).includes('tg_'), 'an event carries a key');
    });

    it('an overlap never extends the old key, and a key that never expired stays "never" after rotation', async () => {
      const { keys } = fixture.process();
      const short = await keys.create({ resources: [API], tenant: 'acme', name: 'short', scopes: [], expiresIn: '1h' });
      const rotatedShort = await keys.rotate(short.apiKey.id, { overlap: 7 * 86_400 });
      assert.equal(rotatedShort.previous.expiresAt, START + 3_600_000);
      const forever = await keys.create({ resources: [API], tenant: 'acme', name: 'forever', scopes: [], expiresIn: 'never' });
      const rotatedForever = await keys.rotate(forever.apiKey.id, { overlap: 60 });
      assert.equal(rotatedForever.apiKey.expiresAt, null);
      assert.equal(rotatedForever.previous.expiresAt, START + 60_000);
    });

    it('a key is rotated once: again, or after revocation, is a conflict; bad options are invalid_request', async () => {
      const { keys } = fixture.process();
      const { apiKey } = await keys.create({ resources: [API], tenant: 'acme', name: 'one', scopes: [] });
      const rotated = await keys.rotate(apiKey.id, { overlap: 0 });
      await assert.rejects(keys.rotate(apiKey.id, { overlap: 0 }), refusedWith(409, 'conflict', new RegExp(`rotate ${rotated.apiKey.id} instead`)));
      await keys.revoke(rotated.apiKey.id);
      await assert.rejects(keys.rotate(rotated.apiKey.id, { overlap: 0 }), refusedWith(409, 'conflict', /revoked/));
      const fresh = await keys.create({ resources: [API], tenant: 'acme', name: 'two', scopes: [] });
      await assert.rejects(keys.rotate(fresh.apiKey.id, { overlap: -1 }), refusedWith(400, 'invalid_request', /overlap/));
      await assert.rejects(keys.rotate(fresh.apiKey.id, { overlap: 1.5 }), refusedWith(400, 'invalid_request', /overlap/));
      await assert.rejects(keys.rotate(fresh.apiKey.id, { overlap: 0, force: true } as { overlap: number }), refusedWith(400, 'invalid_request', /force/));
      await assert.rejects(keys.rotate('0000000000000000000000', { overlap: 0 }), refusedWith(404, 'not_found'));
    });

    it('two rotations of one key at once: exactly one succeeds, and only one replacement exists', async () => {
      const { keys } = fixture.process();
      const other = fixture.process(fixture.connect());
      const { apiKey } = await keys.create({ resources: [API], tenant: 'acme', name: 'one', scopes: [] });
      const outcomes = await Promise.allSettled([keys.rotate(apiKey.id, { overlap: 0 }), other.keys.rotate(apiKey.id, { overlap: 0 })]);
      assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected']);
      const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
      assert.ok(refusedWith(409, 'conflict')(rejected?.reason), String(rejected?.reason));
      assert.equal((await fixture.rows()).length, 2);
    });
  });
}
