import type { Migration } from './index.js';

/**
 * Admin API `Idempotency-Key`s: the first response to a create, so that a
 * retry returns it instead of creating a second object. Keys are scoped to
 * the calling admin client and the route; `request_hash` detects the same
 * key reused with a different body; `response` is sealed (AES-256-GCM,
 * keys/seal.ts) because a create's response carries a secret shown once.
 * `response` is null while the first request is still running.
 */
export const adminIdempotency: Migration = {
  name: '008-admin-idempotency',
  async up(knex) {
    await knex.schema.createTable('admin_idempotency_keys', (table) => {
      table.string('caller', 200).notNullable();
      table.string('route', 200).notNullable();
      table.string('key', 255).notNullable();
      table.string('request_hash', 64).notNullable();
      table.integer('status').nullable();
      table.text('response').nullable();
      table.bigInteger('created_at').notNullable();
      table.bigInteger('expires_at').notNullable();
      table.primary(['caller', 'route', 'key']);
      table.index(['expires_at'], 'admin_idempotency_keys_expires_at');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('admin_idempotency_keys');
  },
};
