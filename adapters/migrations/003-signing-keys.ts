import type { Migration } from './index.js';

/**
 * Signing keys (keys/key-store.ts). `kid` is the RFC 7638 thumbprint; times
 * are epoch milliseconds. The database itself holds the lifecycle's
 * invariants, so no bug or race in application code can break them:
 * at most one `active` and one `next` key (partial unique indexes, which
 * SQLite and PostgreSQL both support), and the private key exists exactly
 * while the key may still be used (destroyed once retired or revoked).
 */
export const signingKeys: Migration = {
  name: '003-signing-keys',
  async up(knex) {
    await knex.schema.createTable('signing_keys', (table) => {
      table.string('kid', 64).primary();
      table.string('alg', 16).notNullable();
      table
        .enu('state', ['next', 'active', 'retiring', 'retired', 'revoked'], {
          useNative: false,
          enumName: 'signing_key_state',
        })
        .notNullable();
      table.text('public_jwk').notNullable();
      table.text('sealed_private').nullable();
      table.bigInteger('created_at').notNullable();
      table.bigInteger('activated_at').nullable();
      table.bigInteger('retiring_at').nullable();
      table.bigInteger('retire_after').nullable();
      table.bigInteger('retired_at').nullable();
      table.bigInteger('revoked_at').nullable();
      table.check(
        "(state IN ('retired', 'revoked')) = (sealed_private IS NULL)",
        {},
        'signing_keys_private_destroyed_when_unused',
      );
    });
    await knex.raw("CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active'");
    await knex.raw("CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next'");
  },
  async down(knex) {
    await knex.schema.dropTable('signing_keys');
  },
};
