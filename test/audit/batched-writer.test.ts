import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { AuditLog } from '../../src/audit/audit-log.js';
import { BatchedAuditWriter } from '../../src/audit/batched-writer.js';
import { startSweeper } from '../../adapters/sweeper.js';
import type { DatabaseKind } from '../../adapters/database.js';
import { databaseVariants } from '../helpers/databases.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

const issued = (i: number) => ({ type: 'token.issued' as const, actor: `client-${i}`, subject: `client-${i}`, detail: { ip: '192.0.2.1' } });

/**
 * A trigger that refuses every row whose actor is `poison`, the way a
 * database refuses a value (a constraint, an encoding): not an outage.
 */
async function refuseActor(knex: Knex, kind: DatabaseKind, actor: string): Promise<() => Promise<void>> {
  if (kind === 'sqlite') {
    await knex.raw(`create trigger audit_refuse before insert on audit_events when new.actor = '${actor}' begin select raise(abort, 'refused'); end`);
    return async () => void (await knex.raw('drop trigger audit_refuse'));
  }
  await knex.raw(`create function audit_refuse() returns trigger language plpgsql as $$
    begin
      if new.actor = '${actor}' then raise exception 'refused' using errcode = 'check_violation'; end if;
      return new;
    end $$`);
  await knex.raw('create trigger audit_refuse before insert on audit_events for each row execute function audit_refuse()');
  return async () => {
    await knex.raw('drop trigger audit_refuse on audit_events');
    await knex.raw('drop function audit_refuse()');
  };
}

for (const variant of databaseVariants) {
  describe(`batched audit writer (${variant.kind})`, { skip: variant.skip }, () => {
    const fixture = new MigratedDatabaseFixture(variant.kind);
    before(() => fixture.open());
    after(() => fixture.close());

    test('group commit: 1 200 concurrent writes share three INSERTs, and each resolves only once its row is committed', { timeout: 30_000 }, async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const inserts: string[] = [];
      const onQuery = (query: { sql: string }) => {
        if (/^insert/i.test(query.sql)) inserts.push(query.sql);
      };
      const writer = new BatchedAuditWriter(knex, { batchSize: 500 });
      knex.on('query', onQuery);
      try {
        const seen: number[] = [];
        await Promise.all(
          Array.from({ length: 1200 }, (_, i) =>
            writer.write(issued(i)).then(async () => {
              if (i % 400 === 0) seen.push((await knex('audit_events').where('actor', `client-${i}`)).length);
            }),
          ),
        );
        assert.deepEqual(seen, [1, 1, 1], 'a resolved write is in the table');
      } finally {
        knex.off('query', onQuery);
        await writer.stop();
      }
      assert.equal(inserts.length, 3);
      const [{ count }] = await knex('audit_events').count({ count: '*' });
      assert.equal(Number(count), 1200);
    });

    test('while the database is unavailable writes are rejected at once, nothing waits in memory; afterwards writes succeed', { timeout: 30_000 }, async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const errors: unknown[] = [];
      const writer = new BatchedAuditWriter(knex, { onError: (error) => errors.push(error) });
      await knex.schema.renameTable('audit_events', 'audit_events_away');
      try {
        const results = await Promise.allSettled([writer.write(issued(1)), writer.write(issued(2))]);
        assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected']);
        assert.equal(errors.length, 1, 'one statement for both');
        assert.equal(writer.queued, 0);
      } finally {
        await knex.schema.renameTable('audit_events_away', 'audit_events');
      }
      await writer.write(issued(3));
      await writer.stop();
      await assert.rejects(writer.write(issued(4)), /stopped/);
      const rows = await new AuditLog(knex).list();
      assert.deepEqual(rows.map((row) => row.actor), ['client-3'], 'a missing table is an outage, not a refused row');
    });

    test('a row the database refuses for its values is isolated: the others are written, it becomes one redacted audit.row_rejected', { timeout: 30_000 }, async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const dropTrigger = await refuseActor(knex, variant.kind, 'poison');
      const rejected: unknown[] = [];
      const writer = new BatchedAuditWriter(knex, { onRejected: (error) => rejected.push(error) });
      try {
        const writes = Array.from({ length: 40 }, (_, i) => writer.write(i === 17 ? { ...issued(i), actor: 'poison', subject: 'secret-ish-subject', detail: { note: 'do not keep' } } : issued(i)));
        await Promise.all(writes);
        // Later events are not held up either.
        await writer.write(issued(100));
      } finally {
        await writer.stop();
        await dropTrigger();
      }
      assert.equal(rejected.length, 1);
      const rows = await new AuditLog(knex).list({ limit: 1000 });
      const issuedActors = rows.filter((row) => row.type === 'token.issued').map((row) => row.actor).sort();
      const expected = [...Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 17), 100].map((i) => `client-${i}`).sort();
      assert.deepEqual(issuedActors, expected);
      const markers = rows.filter((row) => row.type === 'audit.row_rejected');
      assert.equal(markers.length, 1);
      assert.equal(markers[0]?.actor, 'server');
      assert.equal(markers[0]?.subject, null);
      assert.deepEqual(markers[0]?.detail, {
        rejected_type: 'token.issued',
        error_code: variant.kind === 'sqlite' ? 'SQLITE_CONSTRAINT_TRIGGER' : '23514',
      });
      assert.doesNotMatch(JSON.stringify(markers), /poison|secret-ish|do not keep/);
    });

    test('the audit log\'s single writes isolate a refused row the same way', { timeout: 30_000 }, async () => {
      const { knex } = fixture.database;
      await knex('audit_events').delete();
      const dropTrigger = await refuseActor(knex, variant.kind, 'poison');
      const log = new AuditLog(knex);
      try {
        await log.record({ type: 'client.created', actor: 'poison', subject: 'c1' });
        await log.record({ type: 'client.created', actor: 'cli', subject: 'c2' });
      } finally {
        await dropTrigger();
      }
      assert.deepEqual((await log.list()).map((row) => [row.type, row.subject]), [['client.created', 'c2'], ['audit.row_rejected', null]]);
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
