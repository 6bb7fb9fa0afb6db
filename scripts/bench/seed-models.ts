/**
 * Grows `oidc_models` (the table the Knex adapter keeps every provider model
 * in) to a given size in one statement, so a million rows take seconds:
 * generate_series on PostgreSQL, a recursive CTE on SQLite. Rows look like
 * unexpired opaque access tokens of many grants, so every index the adapter
 * uses (primary key, grant_id, expires_at) grows with the table, and the
 * sweeper (which deletes only expired rows) leaves them alone. Ids carry the
 * hashed-id prefix (adapters/stored-ids.ts), so a restart does not rehash them.
 */
import type { Knex } from 'knex';
import { OIDC_MODELS_TABLE } from '../../adapters/knex-adapter.js';

const COLUMNS = 'model, id, payload, grant_id, uid, user_code, expires_at, consumed_at';

/** Roughly the size of a stored client_credentials token payload. */
const PAYLOAD = JSON.stringify({
  iat: 0,
  exp: 0,
  accountId: undefined,
  clientId: '00000000-0000-0000-0000-000000000000',
  kind: 'ClientCredentials',
  scope: 'read',
  aud: 'https://opaque.bench.test',
  extra: { tenant_id: '00000000-0000-0000-0000-000000000000', tenant: 'bench', roles: ['bench'], token_version: 0 },
});

export async function seedOidcModels(knex: Knex, rows: number): Promise<void> {
  const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
  const postgres = knex.client.config.client === 'pg';
  if (postgres) {
    await knex.raw(
      `INSERT INTO ${OIDC_MODELS_TABLE} (${COLUMNS})
       SELECT 'ClientCredentials', 'h1.seed-' || n, ?, 'grant-' || n, NULL, NULL, ?, NULL FROM generate_series(1, ?) AS n`,
      [PAYLOAD, expiresAt, rows],
    );
    await knex.raw(`ANALYZE ${OIDC_MODELS_TABLE}`);
    return;
  }
  await knex.raw(
    `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
     INSERT INTO ${OIDC_MODELS_TABLE} (${COLUMNS})
     SELECT 'ClientCredentials', 'h1.seed-' || n, ?, 'grant-' || n, NULL, NULL, ?, NULL FROM seq`,
    [rows, PAYLOAD, expiresAt],
  );
  await knex.raw(`ANALYZE ${OIDC_MODELS_TABLE}`);
}
