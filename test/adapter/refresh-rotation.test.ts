import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, test } from 'node:test';
import { errors, type AdapterPayload } from 'oidc-provider';
import { databaseVariants } from '../helpers/databases.js';
import { START_S, useAdapterDatabase } from './fixture.js';

const token = (jti: string): AdapterPayload => ({ iat: START_S, jti, kind: 'RefreshToken', grantId: 'g1' });

// The refresh grant as oidc-provider drives the adapter: find, consume, then
// upsert of the successor, each request in its own scope (the provider's
// AsyncLocalStorage in production; one of the test's own here).
for (const variant of databaseVariants) {
  describe(`refresh rotation in the knex adapter (${variant.kind})`, { skip: variant.skip }, () => {
    const db = useAdapterDatabase(variant.kind);
    const requests = new AsyncLocalStorage<object>();
    const tokens = () => db.adapterFor('RefreshToken', { currentRequest: () => requests.getStore(), refreshRetryGraceSeconds: 60 });
    /** find → consume → upsert(successor), in a request of its own. */
    const rotate = (id: string, successor: string) =>
      requests.run({}, async () => {
        const adapter = tokens();
        const found = await adapter.find(id);
        assert.ok(found && !found.consumed, `${id} is usable`);
        await adapter.consume(id);
        await adapter.upsert(successor, token(successor), 3600);
      });

    test('the consume is committed with the successor: nothing changes until the successor is saved', async () => {
      await tokens().upsert('r0', token('r0'), 3600);
      await requests.run({}, async () => {
        const adapter = tokens();
        await adapter.find('r0');
        await adapter.consume('r0');
        assert.equal((await db.row('RefreshToken', 'r0'))?.consumed_at, null, 'not consumed before the successor is saved');
        await adapter.upsert('r1', token('r1'), 3600);
      });
      assert.equal((await db.row('RefreshToken', 'r0'))?.consumed_at, START_S);
      assert.equal((await db.row('RefreshToken', 'r0'))?.rotated_to, db.storedId('RefreshToken', 'r1'));
    });

    test('two requests that both found the token unused: one rotates, the other loses with invalid_grant and saves nothing', async () => {
      await tokens().upsert('r0', token('r0'), 3600);
      const a = { adapter: tokens(), scope: {} };
      const b = { adapter: tokens(), scope: {} };
      for (const { adapter, scope } of [a, b]) {
        await requests.run(scope, async () => {
          assert.ok(!(await adapter.find('r0'))?.consumed);
          await adapter.consume('r0');
        });
      }
      await requests.run(a.scope, () => a.adapter.upsert('ra', token('ra'), 3600));
      await assert.rejects(
        requests.run(b.scope, () => b.adapter.upsert('rb', token('rb'), 3600)),
        (error: unknown) => error instanceof errors.InvalidGrant,
      );
      assert.equal(await db.row('RefreshToken', 'rb'), undefined);
      assert.ok(await tokens().find('ra'));
    });

    test('within the grace window a rotated token whose successor is unused rotates again and retires that successor', async () => {
      await tokens().upsert('r0', token('r0'), 3600);
      await rotate('r0', 'r1');
      db.advance(60);
      await rotate('r0', 'r2');
      assert.equal((await db.row('RefreshToken', 'r1'))?.consumed_at, START_S + 60, 'the unreceived successor is retired');
      assert.equal((await tokens().find('r1'))?.consumed, START_S + 60);
      assert.equal((await db.row('RefreshToken', 'r0'))?.rotated_to, db.storedId('RefreshToken', 'r2'));
      assert.equal((await db.row('RefreshToken', 'r0'))?.consumed_at, START_S, 'the window still counts from the first rotation');
    });

    test('a rotated token is reuse once its successor was used, or after the grace window', async () => {
      await tokens().upsert('r0', token('r0'), 3600);
      await rotate('r0', 'r1');
      await rotate('r1', 'r2');
      assert.equal((await tokens().find('r0'))?.consumed, START_S, 'successor used');

      await tokens().upsert('s0', token('s0'), 3600);
      await rotate('s0', 's1');
      db.advance(61);
      assert.equal((await tokens().find('s0'))?.consumed, START_S, 'window over');
    });

    test('two retries of one rotation at once: one rotates again, the other loses', async () => {
      await tokens().upsert('r0', token('r0'), 3600);
      await rotate('r0', 'r1');
      const a = { adapter: tokens(), scope: {} };
      const b = { adapter: tokens(), scope: {} };
      for (const { adapter, scope } of [a, b]) {
        await requests.run(scope, async () => {
          assert.ok(!(await adapter.find('r0'))?.consumed);
          await adapter.consume('r0');
        });
      }
      await requests.run(a.scope, () => a.adapter.upsert('ra', token('ra'), 3600));
      await assert.rejects(requests.run(b.scope, () => b.adapter.upsert('rb', token('rb'), 3600)), errors.InvalidGrant);
    });

    test('outside a request, consume commits at once, as before', async () => {
      await tokens().upsert('r0', token('r0'), 3600);
      await tokens().consume('r0');
      assert.equal((await db.row('RefreshToken', 'r0'))?.consumed_at, START_S);
    });
  });
}
