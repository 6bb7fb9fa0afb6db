import type { Knex } from 'knex';
import { errors } from 'oidc-provider';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/** The one table every oidc-provider model lives in (migration 001-oidc-models). */
export const OIDC_MODELS_TABLE = 'oidc_models';

/** Milliseconds since the epoch, as `Date.now` returns them; injectable so tests can move time. */
export type Clock = () => number;

export interface KnexAdapterOptions {
  /** Defaults to `Date.now`. */
  readonly clock?: Clock;
}

/** The provider counts time in whole epoch seconds; so do `expires_at` and `consumed_at`. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}

/** A row of `oidc_models`; a bigint may come back as a string from a driver left at its defaults. */
export interface OidcModelRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

// Only these models are members of a grant, as in the reference memory
// adapter. An Interaction also carries `grantId` (a consent in progress) and
// must survive a revocation, so its grant_id column stays empty.
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

// The provider's own wording for each single-use model, so a lost consume
// race reads like the sequential "already consumed" case it is.
const CONSUMABLE_LABELS: Readonly<Record<string, string>> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
  PreAuthorizedCode: 'pre-authorized code',
};

const KEY_MAX_LENGTH = 255;

/**
 * Whether a value can be a key column (`id`, `grant_id`, `uid`, `user_code`).
 * PostgreSQL rejects NUL in any parameter, and values longer than
 * varchar(255) on write, with an error; SQLite quietly accepts both. Checking
 * here keeps the two databases identical, keeps client input (a token, a
 * `client_id`, a user code) from becoming a raw database error, and keeps a
 * megabyte "token" from ever being sent to the database. `length` counts
 * UTF-16 units, never fewer than PostgreSQL's characters: it errs safe.
 */
function isStorableKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= KEY_MAX_LENGTH && !value.includes('\u0000');
}

function optionalKey(model: string, field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  // The value itself is never in the message: ids and codes are bearer secrets.
  if (!isStorableKey(value)) throw new TypeError(`${model} payload.${field} is not a storable key (empty, over ${KEY_MAX_LENGTH} characters, or contains NUL)`);
  return value;
}

function toEpoch(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function alreadyConsumed(model: string): Error {
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  return new errors.InvalidGrant(`${CONSUMABLE_LABELS[model] ?? model} already consumed`);
}

class KnexAdapter implements Adapter {
  readonly #knex: Knex;
  readonly #model: string;
  readonly #clock: Clock;

  constructor(knex: Knex, model: string, clock: Clock) {
    this.#knex = knex;
    this.#model = model;
    this.#clock = clock;
  }

  #rows(): Knex.QueryBuilder<OidcModelRow> {
    return this.#knex<OidcModelRow>(OIDC_MODELS_TABLE);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (!isStorableKey(id)) throw new TypeError(`${this.#model} id is not a storable key (empty, over ${KEY_MAX_LENGTH} characters, or contains NUL)`);
    const now = epochSeconds(this.#clock);
    const consumed: unknown = payload.consumed;
    const row: OidcModelRow = {
      model: this.#model,
      id,
      // JSON.stringify escapes every control character inside strings and keys
      // (NUL becomes the six characters \u0000) and, being well-formed since
      // ES2019, lone surrogates too: the text is always valid for PostgreSQL.
      payload: JSON.stringify(payload),
      grant_id: GRANTABLE.has(this.#model) ? optionalKey(this.#model, 'grantId', payload.grantId) : null,
      uid: optionalKey(this.#model, 'uid', payload.uid),
      user_code: optionalKey(this.#model, 'userCode', payload.userCode),
      expires_at: typeof expiresIn === 'number' ? now + expiresIn : null,
      consumed_at: consumed ? (typeof consumed === 'number' ? consumed : now) : null,
    };
    await this.#rows()
      .insert(row)
      .onConflict(['model', 'id'])
      .merge({
        payload: this.#knex.raw('excluded.payload'),
        grant_id: this.#knex.raw('excluded.grant_id'),
        uid: this.#knex.raw('excluded.uid'),
        user_code: this.#knex.raw('excluded.user_code'),
        expires_at: this.#knex.raw('excluded.expires_at'),
        // Consumption is one-way: re-saving a model loaded before another
        // request consumed it must not make it usable again.
        consumed_at: this.#knex.raw('coalesce(??, excluded.consumed_at)', [`${OIDC_MODELS_TABLE}.consumed_at`]),
      });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableKey(id)) return undefined;
    return this.#first({ model: this.#model, id });
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!isStorableKey(uid)) return undefined;
    return this.#first({ model: this.#model, uid });
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!isStorableKey(userCode)) return undefined;
    return this.#first({ model: this.#model, user_code: userCode });
  }

  /**
   * Marks the row consumed with one conditional UPDATE, so of any number of
   * concurrent consumers exactly one changes the row (PostgreSQL re-checks
   * `consumed_at IS NULL` after waiting on the winner's row lock; SQLite runs
   * them one after another) and the timestamp never moves once set.
   *
   * oidc-provider reads `consumed` from `find` and only then calls `consume`,
   * ignoring its result, so two requests can both pass that check. Every
   * caller in the provider (code, device code, CIBA and pre-authorized code
   * grants, refresh token rotation, PAR) checks `consumed` first, so a consume
   * that changes nothing means another request won the race, or the row was
   * revoked meanwhile: it rejects with the provider's own `invalid_grant`
   * (`invalid_request_uri` for PAR) and the loser gets no tokens, which is
   * what RFC 6749 §4.1.2 asks for a code used twice.
   */
  async consume(id: string): Promise<void> {
    const updated = isStorableKey(id)
      ? await this.#rows()
          .where({ model: this.#model, id })
          .whereNull('consumed_at')
          .update({ consumed_at: epochSeconds(this.#clock) })
      : 0;
    if (updated === 0) throw alreadyConsumed(this.#model);
  }

  async destroy(id: string): Promise<void> {
    if (!isStorableKey(id)) return;
    await this.#rows().where({ model: this.#model, id }).delete();
  }

  /**
   * Deletes every member of the grant whatever this adapter's model: the
   * provider only calls this for models whose grant type the client is
   * allowed *now*, and tokens issued under a grant type since removed from
   * the client must not outlive the revocation.
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    if (!isStorableKey(grantId)) return;
    await this.#rows().where({ grant_id: grantId }).delete();
  }

  async #first(where: Partial<OidcModelRow>): Promise<AdapterPayload | undefined> {
    const row = await this.#rows().where(where).first('payload', 'expires_at', 'consumed_at');
    if (!row) return undefined;
    const expiresAt = toEpoch(row.expires_at);
    // An expired row is gone as far as the provider can tell, whether or not
    // the sweeper has deleted it yet.
    if (expiresAt !== null && expiresAt < epochSeconds(this.#clock)) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    const consumedAt = toEpoch(row.consumed_at);
    return consumedAt === null ? payload : { ...payload, consumed: consumedAt };
  }
}

/**
 * oidc-provider's `adapter` setting backed by the `oidc_models` table: one
 * adapter per model name, all sharing the given Knex instance. Works on
 * SQLite and PostgreSQL alike.
 *
 * `upsert` replaces the row (`expiresIn` undefined means no expiry); `find`
 * hides expired rows and reports `consumed` (epoch seconds) from the
 * `consumed_at` column; `consume` marks and never deletes, and rejects
 * with `invalid_grant` when it marks nothing (the loser of a race, see the
 * comment on `consume`); `revokeByGrantId` deletes every member of the grant. Expired rows are deleted by
 * `startSweeper` (sweeper.ts).
 *
 * @example
 * ```ts
 * const database = openDatabase(config.databaseUrl);
 * await migrate(database);
 * const provider = new Provider(issuer, { adapter: createKnexAdapter(database.knex) });
 * ```
 */
export function createKnexAdapter(knex: Knex, options: KnexAdapterOptions = {}): AdapterFactory {
  const clock = options.clock ?? Date.now;
  return (model: string) => new KnexAdapter(knex, model, clock);
}
