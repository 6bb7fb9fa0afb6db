import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { LastUsedRecorder } from '../../src/api-keys/last-used.js';
import { databaseVariants } from '../helpers/databases.js';
import { ApiKeyFixture, START, API } from './fixture.js';

for (const variant of databaseVariants) {
  describe(`API keys: last_used_at, batched off the request path (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new ApiKeyFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());
    beforeEach(() => fixture.reset());

    it('verifications write nothing themselves; many uses within a minute become at most one write', async () => {
      const { keys, verifier, lastUsed } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: 'acme', name: 'busy', scopes: [] });
      await verifier.verifyApiKey(key);

      const { queries } = await fixture.countQueries(async () => {
        for (let use = 0; use < 20; use += 1) assert.equal((await verifier.verifyApiKey(key)).active, true);
      });
      assert.deepEqual(queries.filter((sql) => /^\s*update/i.test(sql)), [], 'a verification wrote to the database');
      assert.equal((await fixture.row(apiKey.id)).last_used_at, null);

      assert.equal(await lastUsed.flush(), 1);
      assert.equal((await fixture.row(apiKey.id)).last_used_at, START);
      assert.equal((await keys.get(apiKey.id)).lastUsedAt, START);

      fixture.clock.now = START + 30_000;
      for (let use = 0; use < 20; use += 1) await verifier.verifyApiKey(key);
      assert.equal(await lastUsed.flush(), 0);
      assert.equal((await fixture.row(apiKey.id)).last_used_at, START);

      fixture.clock.now = START + 61_000;
      await verifier.verifyApiKey(key);
      assert.equal(await lastUsed.flush(), 1);
      assert.equal((await fixture.row(apiKey.id)).last_used_at, START + 61_000);
    });

    it('several keys are written in one batch; failed verifications are not uses', async () => {
      const { keys, verifier, lastUsed } = fixture.process();
      const used = await Promise.all(['a', 'b', 'c'].map((name) => keys.create({ resources: [API], tenant: 'acme', name, scopes: [] })));
      const unused = await keys.create({ resources: [API], tenant: 'acme', name: 'idle', scopes: [] });
      await keys.revoke(unused.apiKey.id);
      for (const { key } of used) await verifier.verifyApiKey(key);
      assert.equal((await verifier.verifyApiKey(unused.key)).active, false);

      const { result, queries } = await fixture.countQueries(() => lastUsed.flush());
      assert.equal(result, 3);
      assert.equal(queries.length, 1);
      assert.equal((await fixture.row(unused.apiKey.id)).last_used_at, null);
    });

    it('two instances using one key within a minute write it once between them', async () => {
      const first = fixture.process();
      const second = fixture.process(fixture.connect());
      const { apiKey, key } = await first.keys.create({ resources: [API], tenant: 'acme', name: 'shared', scopes: [] });
      await first.verifier.verifyApiKey(key);
      await second.verifier.verifyApiKey(key);
      fixture.clock.now = START + 5_000;
      assert.equal((await first.lastUsed.flush()) + (await second.lastUsed.flush()), 1);
      assert.equal((await fixture.row(apiKey.id)).last_used_at, START + 5_000);
    });

    it('stop() writes what is pending (graceful shutdown)', async () => {
      const { keys, verifier } = fixture.process();
      const { apiKey, key } = await keys.create({ resources: [API], tenant: 'acme', name: 'last', scopes: [] });
      await verifier.verifyApiKey(key);
      await verifier.stop();
      assert.equal((await fixture.row(apiKey.id)).last_used_at, START);
    });

    it('the timer flushes by itself', async () => {
      const { keys } = fixture.process();
      const { apiKey } = await keys.create({ resources: [API], tenant: 'acme', name: 'timer', scopes: [] });
      const recorder = new LastUsedRecorder(fixture.database.knex, { flushIntervalMs: 20, clock: () => fixture.clock.now });
      try {
        recorder.record(apiKey.id);
        const deadline = Date.now() + 2_000;
        while ((await fixture.row(apiKey.id)).last_used_at === null && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal((await fixture.row(apiKey.id)).last_used_at, START);
      } finally {
        await recorder.stop();
      }
    });
  });
}
