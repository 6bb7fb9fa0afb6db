import type { Migration } from './index.js';

/**
 * Tenants, resource servers and clients. Lists (scopes, roles, resources,
 * IP allow-lists) are JSON text so SQLite and PostgreSQL store them alike;
 * times are epoch milliseconds.
 */
export const registry: Migration = {
  name: '002-registry',
  async up(knex) {
    await knex.schema.createTable('tenants', (table) => {
      table.string('id', 64).primary();
      table.string('slug', 64).notNullable().unique();
      table.string('name', 200).notNullable();
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('resource_servers', (table) => {
      table.string('id', 64).primary();
      table.string('audience', 2000).notNullable().unique();
      table.string('name', 200).nullable();
      table.text('scopes').notNullable();
      table.integer('access_token_ttl').nullable();
      table.string('token_format', 16).notNullable().defaultTo('jwt');
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('clients', (table) => {
      table.string('client_id', 64).primary();
      table.string('tenant_id', 64).notNullable().references('id').inTable('tenants');
      table.string('name', 200).notNullable();
      table.text('secret_hash').notNullable();
      table.bigInteger('secret_expires_at').nullable();
      table.text('roles').notNullable();
      table.text('scopes').notNullable();
      table.text('resources').notNullable();
      table.text('ip_allowlist').nullable();
      table.boolean('enabled').notNullable().defaultTo(true);
      table.integer('token_version').notNullable().defaultTo(0);
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
      table.index(['tenant_id'], 'clients_tenant_id');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('clients');
    await knex.schema.dropTable('resource_servers');
    await knex.schema.dropTable('tenants');
  },
};
