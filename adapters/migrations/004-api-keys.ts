import type { Migration } from './index.js';

/**
 * API keys (src/api-keys/). `id` is the lookup id embedded in the key; only
 * an argon2id hash of the key's secret part is stored. Times are epoch
 * milliseconds; `expires_at` NULL means the key never expires (which the
 * operator asked for explicitly). A rotation links the old key to its
 * replacement and shortens the old key's `expires_at` to the overlap.
 */
export const apiKeys: Migration = {
  name: '004-api-keys',
  async up(knex) {
    await knex.schema.createTable('api_keys', (table) => {
      table.string('id', 32).primary();
      table.string('tenant_id', 64).notNullable().references('id').inTable('tenants');
      table.string('env', 16).notNullable();
      table.string('name', 200).notNullable();
      table.text('scopes').notNullable();
      table.text('secret_hash').notNullable();
      table.string('created_by', 200).nullable();
      table.bigInteger('created_at').notNullable();
      table.bigInteger('expires_at').nullable();
      table.bigInteger('revoked_at').nullable();
      table.bigInteger('last_used_at').nullable();
      table.bigInteger('rotated_at').nullable();
      table.string('replaced_by', 32).nullable().references('id').inTable('api_keys');
      table.index(['tenant_id'], 'api_keys_tenant_id');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('api_keys');
  },
};
