import type { Migration } from './index.js';

/**
 * Stronger machine credentials: how a client authenticates at the token
 * endpoint (a secret, or a JWT signed with a key from its JWKS, RFC 7523),
 * its public keys (inline or by URL), whether its access tokens must be
 * DPoP-bound (RFC 9449), and what it may obtain by token exchange (RFC 8693).
 */
export const clientProofOfPossession: Migration = {
  name: '010-client-proof-of-possession',
  async up(knex) {
    await knex.schema.alterTable('clients', (table) => {
      table.string('token_endpoint_auth_method', 40).notNullable().defaultTo('client_secret_basic');
      table.text('jwks').nullable();
      table.text('jwks_uri').nullable();
      table.boolean('dpop_bound_access_tokens').notNullable().defaultTo(false);
      // JSON `{ "audiences": [...], "scopes": [...] }`; null: no token exchange.
      table.text('token_exchange').nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('clients', (table) => {
      table.dropColumn('token_exchange');
      table.dropColumn('dpop_bound_access_tokens');
      table.dropColumn('jwks_uri');
      table.dropColumn('jwks');
      table.dropColumn('token_endpoint_auth_method');
    });
  },
};
