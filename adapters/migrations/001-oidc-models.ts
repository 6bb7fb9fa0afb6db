import type { Migration } from './index.js';

/**
 * One table for every oidc-provider model (design: "(model, id) primary key,
 * JSON payload, indexed lookup columns"). Times are epoch seconds, as the
 * provider itself counts them.
 */
export const oidcModels: Migration = {
  name: '001-oidc-models',
  async up(knex) {
    await knex.schema.createTable('oidc_models', (table) => {
      table.string('model', 64).notNullable();
      table.string('id', 255).notNullable();
      table.text('payload').notNullable();
      table.string('grant_id', 255).nullable();
      table.string('uid', 255).nullable();
      table.string('user_code', 255).nullable();
      table.bigInteger('expires_at').nullable();
      table.bigInteger('consumed_at').nullable();
      table.primary(['model', 'id']);
      table.index(['grant_id'], 'oidc_models_grant_id');
      table.index(['uid'], 'oidc_models_uid');
      table.index(['user_code'], 'oidc_models_user_code');
      table.index(['expires_at'], 'oidc_models_expires_at');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('oidc_models');
  },
};
