import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../../src/audit/audit-log.js';
import { BatchedAuditWriter } from '../../src/audit/batched-writer.js';
import { startSweeper } from '../../adapters/sweeper.js';
import { databaseVariants } from '../helpers/databases.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

const issued = (i: number) => ({ type: 'token.issued' as const, actor: `client-${i}`, subject: `client-${i}`, detail: { ip: '192.0.2.1' } });

for (const variant of databaseVariants) {
  describe(`batched audit writer (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new MigratedDatabaseFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());

    test('1 200 events become three multi-row INSERTs, none on the caller\'s path', async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const inserts: string[] = [];
      const onQuery = (query: { sql: string }) => {
        if (/^insert/i.test(query.sql)) inserts.push(query.sql);
      };
      const writer = new BatchedAuditWriter(knex, { batchSize: 500, flushIntervalMs: 60_000 });
      for (let i = 0; i < 499; i += 1) writer.add(issued(i));
      knex.on('query', onQuery);
      try {
        assert.equal(inserts.length, 0, 'add() only queues');
        for (let i = 499; i < 1200; i += 1) writer.add(issued(i));
        await writer.stop();
      } finally {
        knex.off('query', onQuery);
      }
      assert.equal(inserts.length, 3);
      const [{ count }] = await knex('audit_events').count({ count: '*' });
      assert.equal(Number(count), 1200);
    });

    test('while the table cannot be written events wait, then all are written; an oversized client id is clipped, not fatal', async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const errors: unknown[] = [];
      const writer = new BatchedAuditWriter(knex, { flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
      await knex.schema.renameTable('audit_events', 'audit_events_away');
      try {
        writer.add(issued(1));
        writer.add({ ...issued(2), actor: 'x'.repeat(256), subject: 'x'.repeat(256) });
        await writer.flush();
        assert.equal(errors.length, 1);
        assert.equal(writer.queued, 2);
      } finally {
        await knex.schema.renameTable('audit_events_away', 'audit_events');
      }
      await writer.stop();
      assert.equal(writer.queued, 0);
      const rows = await new AuditLog(knex).list({ type: 'token.issued' });
      assert.equal(rows.length, 2);
      assert.ok(rows.every((row) => row.actor.length <= 200));
    });

    test('the queue is bounded: past maxQueued the oldest events are dropped and counted', async () => {
      const { knex } = fixture.database;
      let dropped = 0;
      const writer = new BatchedAuditWriter(knex, { flushIntervalMs: 60_000, batchSize: 1_000, maxQueued: 10, onDropped: (count) => (dropped += count) });
      for (let i = 0; i < 15; i += 1) writer.add(issued(i));
      assert.equal(writer.queued, 10);
      assert.equal(dropped, 5);
      await writer.stop();
    });

    test('retention: the sweeper deletes audit events older than the window, in batches, and keeps the rest', async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const day = 86_400_000;
      const now = Date.UTC(2026, 10, 23);
      const log = new AuditLog(knex);
      let at = now - 100 * day;
      const clocked = new AuditLog(knex, { clock: () => at });
      for (let i = 0; i < 5; i += 1) await clocked.record(issued(i));
      at = now - day;
      await clocked.record(issued(99));
      const sweeper = startSweeper(knex, { intervalMs: 3_600_000, batchSize: 2, clock: () => now, auditRetentionMs: 90 * day });
      try {
        await sweeper.sweepOnce();
      } finally {
        await sweeper.stop();
      }
      const left = await log.list();
      assert.deepEqual(left.map((event) => event.actor), ['client-99']);
    });
  });
}
