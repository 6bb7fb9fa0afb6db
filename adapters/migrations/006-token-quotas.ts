import type { Migration } from './index.js';

/**
 * Token quotas set by operators on a client and on a tenant, as the
 * `<count>/<unit>` text they typed (`1000/h`); null means no quota. Text
 * rather than two numbers so the CLI shows back exactly what was set.
 */
export const tokenQuotas: Migration = {
  name: '006-token-quotas',
  async up(knex) {
    await knex.schema.alterTable('tenants', (table) => {
      table.text('token_quota').nullable();
    });
    await knex.schema.alterTable('clients', (table) => {
      table.text('token_quota').nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('clients', (table) => {
      table.dropColumn('token_quota');
    });
    await knex.schema.alterTable('tenants', (table) => {
      table.dropColumn('token_quota');
    });
  },
};
