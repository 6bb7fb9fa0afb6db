import type { Knex } from 'knex';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** The one table every oidc-provider model shares (migration 001). */
export const OIDC_MODELS_TABLE = 'oidc_models';

interface ModelRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

const epochSeconds = (clock: () => number) => Math.floor(clock() / 1000);

/**
 * PostgreSQL text refuses NUL bytes with an error, which would turn a crafted
 * id into a 500. Such a value can never have been stored, so a lookup answers
 * "not found" without asking the database.
 */
const storable = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && !value.includes('\u0000');

/**
 * oidc-provider's Adapter over Knex, for SQLite and PostgreSQL alike
 * (the contract: node_modules/oidc-provider/lib/adapters/memory_adapter.js).
 *
 * - `upsert` really upserts: one row per (model, id), the last write wins.
 * - `expiresIn` may be undefined: `expires_at` is then NULL (never expires).
 * - `find` hides expired rows even before the sweeper deletes them.
 * - `consume` marks `consumed_at` and never deletes; the update only applies
 *   while the row is unconsumed, so of two concurrent consumers exactly one
 *   changes the row and the timestamp never moves afterwards.
 * - `revokeByGrantId` deletes every row of the grant, whatever the model.
 *
 * JSON.stringify writes a NUL inside a string as the escape `\u0000`, so
 * payloads with NUL bytes store fine in both databases.
 *
 * @example
 * const KnexAdapter = createKnexAdapter(knex);
 * new Provider(issuer, { adapter: KnexAdapter });
 */
export function createKnexAdapter(knex: Knex, options: { clock?: () => number } = {}) {
  const clock = options.clock ?? Date.now;

  return class KnexAdapter implements Adapter {
    constructor(private readonly model: string) {}

    #rows() {
      return knex<ModelRow>(OIDC_MODELS_TABLE);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (!storable(id)) throw new TypeError(`${this.model} id must be a non-empty string without NUL bytes`);
      const row: ModelRow = {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: storable(payload.grantId) ? payload.grantId : null,
        uid: storable(payload.uid) ? payload.uid : null,
        user_code: storable(payload.userCode) ? payload.userCode : null,
        expires_at: typeof expiresIn === 'number' ? epochSeconds(clock) + expiresIn : null,
        consumed_at: null,
      };
      await this.#rows().insert(row).onConflict(['model', 'id']).merge();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (!storable(id)) return undefined;
      return this.#load(this.#rows().where({ model: this.model, id }).first());
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (!storable(uid)) return undefined;
      return this.#load(this.#rows().where({ model: this.model, uid }).first());
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      if (!storable(userCode)) return undefined;
      return this.#load(this.#rows().where({ model: this.model, user_code: userCode }).first());
    }

    async consume(id: string): Promise<void> {
      if (!storable(id)) return;
      await this.#rows().where({ model: this.model, id }).whereNull('consumed_at').update({ consumed_at: epochSeconds(clock) });
    }

    async destroy(id: string): Promise<void> {
      if (!storable(id)) return;
      await this.#rows().where({ model: this.model, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (!storable(grantId)) return;
      await this.#rows().where({ grant_id: grantId }).delete();
    }

    async #load(query: Promise<ModelRow | undefined>): Promise<AdapterPayload | undefined> {
      const row = await query;
      if (!row) return undefined;
      if (row.expires_at !== null && row.expires_at <= epochSeconds(clock)) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload;
      return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
    }
  };
}
