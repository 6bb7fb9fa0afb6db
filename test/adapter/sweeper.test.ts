import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import knexFactory from 'knex';
import { startSweeper } from '../../adapters/sweeper.js';
import { databaseVariants } from '../helpers/databases.js';
import { useAdapterDatabase } from './fixture.js';

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await check()) return;
    await delay(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const variant of databaseVariants) {
  describe(`oidc_models sweeper (${variant.kind})`, { skip: variant.skip }, () => {
    const db = useAdapterDatabase(variant.kind);
    const hour = 3_600_000;

    async function seed(expired: number): Promise<void> {
      const tokens = db.adapterFor('AccessToken');
      for (let i = 0; i < expired; i += 1) await tokens.upsert(`old-${i}`, { kind: 'AccessToken' }, 10);
      await tokens.upsert('last-second', { kind: 'AccessToken' }, 60);
      await tokens.upsert('fresh', { kind: 'AccessToken' }, 3600);
      await tokens.upsert('forever', { kind: 'AccessToken' }, undefined);
      db.advance(60);
    }

    test('deletes only expired rows, in batches, and reports how many', async () => {
      await seed(7);
      const deleteStatements: string[] = [];
      const onQuery = (query: { sql: string }) => {
        if (/^delete/i.test(query.sql)) deleteStatements.push(query.sql);
      };
      db.knex.on('query', onQuery);
      const sweeper = startSweeper(db.knex, { intervalMs: hour, batchSize: 3, clock: db.clock });
      try {
        assert.equal(await sweeper.sweepOnce(), 7);
        assert.equal(deleteStatements.length, 3, 'batches of 3, 3 and 1');
        assert.deepEqual((await db.rows()).map((row) => row.id).sort(), ['forever', 'fresh', 'last-second'].map((id) => db.storedId('AccessToken', id)).sort());
        assert.equal(await sweeper.sweepOnce(), 0);
      } finally {
        db.knex.removeListener('query', onQuery);
        await sweeper.stop();
      }
    });

    test('a backlog that is an exact multiple of the batch size is swept completely', async () => {
      await seed(6);
      const sweeper = startSweeper(db.knex, { intervalMs: hour, batchSize: 2, clock: db.clock });
      try {
        assert.equal(await sweeper.sweepOnce(), 6);
        assert.equal((await db.rows()).length, 3);
      } finally {
        await sweeper.stop();
      }
    });

    test('the timer sweeps on its own, and stop() ends it', async () => {
      await seed(2);
      const sweeper = startSweeper(db.knex, { intervalMs: 10, batchSize: 100, clock: db.clock });
      try {
        await eventually(async () => (await db.rows()).length === 3, 'the timed sweep');
      } finally {
        await sweeper.stop();
      }
      await seed(1);
      await delay(50);
      assert.equal((await db.rows()).length, 4, 'nothing is swept after stop()');
    });
  });
}

test('a failing sweep goes to onError, the timer keeps trying, and nothing escapes', async () => {
  // A database without the table: every sweep fails.
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  const failures: unknown[] = [];
  const sweeper = startSweeper(knex, {
    intervalMs: 5,
    batchSize: 10,
    onError: (error) => {
      failures.push(error);
      throw new Error('a broken handler must not escape either');
    },
  });
  try {
    await eventually(async () => failures.length >= 2, 'two failed sweeps');
    assert.ok(failures.every((error) => error instanceof Error && /no such table/.test(error.message)));
  } finally {
    await sweeper.stop();
    await knex.destroy();
  }
});

test('options are checked when the sweeper starts', () => {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  try {
    assert.throws(() => startSweeper(knex, { intervalMs: 1000, batchSize: 0 }), RangeError);
    assert.throws(() => startSweeper(knex, { intervalMs: 0, batchSize: 10 }), RangeError);
  } finally {
    void knex.destroy();
  }
});
