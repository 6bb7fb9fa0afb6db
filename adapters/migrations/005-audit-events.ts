import type { Migration } from './index.js';

/**
 * Append-only audit trail: who changed what, and security-relevant refusals.
 * Rows are only ever inserted; `detail` is JSON text of scalar fields chosen
 * at each call site, never a secret, key or token.
 */
export const auditEvents: Migration = {
  name: '005-audit-events',
  async up(knex) {
    await knex.schema.createTable('audit_events', (table) => {
      table.bigIncrements('id').primary();
      table.bigInteger('at').notNullable();
      table.string('type', 64).notNullable();
      table.string('actor', 200).notNullable();
      table.string('tenant_id', 64).nullable();
      table.string('subject', 200).nullable();
      table.text('detail').nullable();
      table.index(['at'], 'audit_events_at');
      table.index(['type', 'at'], 'audit_events_type_at');
      table.index(['tenant_id', 'at'], 'audit_events_tenant_at');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('audit_events');
  },
};
