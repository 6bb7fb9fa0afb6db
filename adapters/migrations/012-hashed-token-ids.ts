import type { Migration } from './index.js';

/**
 * Columns for token ids kept out of `oidc_models` (adapters/stored-ids.ts):
 * `sealed_id`, the sealed id of a row found by `uid` or `user_code` (whose
 * caller needs the id back and cannot be given it), and `rotated_to`, the
 * stored id of the refresh token a consumed one was rotated to, so a retry
 * of a rotation whose answer was lost can be told from a reuse
 * (adapters/refresh-rotation.ts). Existing ids are hashed at start-up by
 * `hashClearIds`, which needs TOLLGATE_SECRET and so cannot run here.
 */
export const hashedTokenIds: Migration = {
  name: '012-hashed-token-ids',
  async up(knex) {
    await knex.schema.alterTable('oidc_models', (table) => {
      table.text('sealed_id').nullable();
      table.string('rotated_to', 255).nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('oidc_models', (table) => {
      table.dropColumn('rotated_to');
      table.dropColumn('sealed_id');
    });
  },
};
