import type { Migration } from './index.js';

/**
 * Browser origins a client may call the token, introspection and revocation
 * endpoints from (CORS); null: none, which is right for machine clients.
 */
export const clientCorsOrigins: Migration = {
  name: '007-client-cors-origins',
  async up(knex) {
    await knex.schema.alterTable('clients', (table) => {
      table.text('cors_origins').nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('clients', (table) => {
      table.dropColumn('cors_origins');
    });
  },
};
