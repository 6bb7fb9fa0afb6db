import type { Knex } from 'knex';
import { OIDC_MODELS_TABLE, type OidcModelRow } from './knex-adapter.js';
import { CLEAR_ID_MODELS, HASHED_ID_PREFIX, type IdProtection } from './stored-ids.js';
import { toStoredPayload } from './stored-payload.js';

/** Rows rewritten per transaction. */
const BATCH_SIZE = 500;

/**
 * Rewrites rows stored before ids were hashed (migration
 * 011-adapter-hashed-token-ids) into their hashed form, so every token,
 * code and session issued before the upgrade keeps working and no clear id
 * stays in the table. Runs at start-up, after the migrations, because it
 * needs TOLLGATE_SECRET; idempotent (a hashed id starts with `h1.`, which a
 * generated id never contains), and safe with several instances starting at
 * once (each row is rewritten only if it still has its clear id), and with
 * an upgraded instance running beside an old one (a clear row whose hashed
 * twin exists is dropped, its consumption kept).
 * Resolves to how many rows it rewrote.
 */
export async function hashClearIds(knex: Knex, ids: IdProtection): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await knex<OidcModelRow>(OIDC_MODELS_TABLE)
      .whereNot('id', 'like', `${HASHED_ID_PREFIX}%`)
      .whereNotIn('model', [...CLEAR_ID_MODELS])
      .limit(BATCH_SIZE)
      .select('model', 'id', 'payload', 'uid', 'user_code', 'consumed_at');
    if (rows.length === 0) return total;
    await knex.transaction(async (trx) => {
      for (const row of rows) {
        const storedId = ids.storedId(row.model, row.id);
        // In a rolling upgrade an upgraded instance may already have saved
        // this id hashed: keep that newer copy, and the consumption of either.
        const twin = trx<OidcModelRow>(OIDC_MODELS_TABLE).where({ model: row.model, id: storedId });
        if (await twin.clone().first('id')) {
          if (row.consumed_at !== null) await twin.clone().whereNull('consumed_at').update({ consumed_at: row.consumed_at });
          total += await trx<OidcModelRow>(OIDC_MODELS_TABLE).where({ model: row.model, id: row.id }).delete();
          continue;
        }
        const payload = toStoredPayload(ids, row.model, row.id, storedId, JSON.parse(row.payload) as Record<string, unknown>);
        const sealedId = row.uid !== null || row.user_code !== null ? ids.seal(row.id, `${row.model}:${storedId}`) : null;
        total += await trx<OidcModelRow>(OIDC_MODELS_TABLE).where({ model: row.model, id: row.id }).update({ id: storedId, payload, sealed_id: sealedId });
      }
    });
  }
}
