import type { Migration } from './index.js';

/**
 * People who sign in to a tenant's first-party apps, and the
 * authorization-code side of a client (redirect URIs, public or
 * confidential). App settings live beside `clients` rather than in it, so a
 * machine client's row is unchanged.
 */
export const usersAndAppClients: Migration = {
  name: '009-users-and-app-clients',
  async up(knex) {
    await knex.schema.createTable('users', (table) => {
      table.string('id', 36).primary();
      table.string('tenant_id', 64).notNullable().references('id').inTable('tenants');
      // Stored lower-cased: one account per address per tenant whatever the case typed.
      table.string('email', 320).notNullable();
      table.text('password_hash').notNullable();
      table.text('roles').notNullable();
      table.boolean('enabled').notNullable().defaultTo(true);
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
      table.unique(['tenant_id', 'email'], { indexName: 'users_tenant_email' });
    });
    await knex.schema.createTable('app_clients', (table) => {
      table.string('client_id', 64).primary().references('client_id').inTable('clients');
      // A public client (native app, SPA) has no secret: PKCE is its only proof.
      table.boolean('public').notNullable();
      table.text('redirect_uris').notNullable();
      table.text('post_logout_redirect_uris').notNullable();
      table.bigInteger('created_at').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('app_clients');
    await knex.schema.dropTable('users');
  },
};
