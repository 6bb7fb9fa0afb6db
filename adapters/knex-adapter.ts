import type { Knex } from 'knex';
import Provider, { errors } from 'oidc-provider';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { RequestRotations, type FoundRefreshToken } from './refresh-rotation.js';
import type { IdProtection } from './stored-ids.js';
import { fromStoredPayload, toStoredPayload } from './stored-payload.js';

import { OIDC_MODELS_TABLE } from './oidc-models-table.js';

export { OIDC_MODELS_TABLE };

/** Milliseconds since the epoch, as `Date.now` returns them; injectable so tests can move time. */
export type Clock = () => number;

export interface KnexAdapterOptions {
  /** How ids are kept out of the table (createIdProtection in stored-ids.ts). */
  readonly ids: IdProtection;
  /** Defaults to `Date.now`. */
  readonly clock?: Clock;
  /**
   * Seconds after a rotation during which a retry with the rotated refresh
   * token rotates again instead of counting as reuse, as long as the
   * successor it was given has never been used (refresh-rotation.ts); 0
   * turns retries off. Default 60.
   */
  readonly refreshRetryGraceSeconds?: number;
  /** The request an adapter call belongs to; defaults to oidc-provider's `Provider.ctx`. */
  readonly currentRequest?: () => object | undefined;
}

/** Default of `refreshRetryGraceSeconds`. */
export const REFRESH_RETRY_GRACE_SECONDS = 60;

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
  /** The id, sealed, on a row found by `uid` or `user_code` whose id is hashed. */
  sealed_id: string | null;
  /** On a rotated refresh token: its successor's stored id. */
  rotated_to: string | null;
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

interface AdapterContext {
  readonly knex: Knex;
  readonly clock: Clock;
  readonly ids: IdProtection;
  readonly graceSeconds: number;
  readonly rotations: RequestRotations;
  /** PostgreSQL: lock rows read before a write that depends on them (SQLite has one writer at a time). */
  readonly lockRows: boolean;
}

type Columns = Pick<OidcModelRow, 'id' | 'payload' | 'expires_at' | 'consumed_at' | 'sealed_id' | 'rotated_to'>;
const COLUMNS = ['id', 'payload', 'expires_at', 'consumed_at', 'sealed_id', 'rotated_to'] as const;

class KnexAdapter implements Adapter {
  readonly #context: AdapterContext;
  readonly #model: string;

  constructor(context: AdapterContext, model: string) {
    this.#context = context;
    this.#model = model;
  }

  #rows(knex: Knex = this.#context.knex): Knex.QueryBuilder<OidcModelRow> {
    return knex<OidcModelRow>(OIDC_MODELS_TABLE);
  }

  #now(): number {
    return epochSeconds(this.#context.clock);
  }

  /** The rows `id` may be stored as (one per configured secret), of this model. */
  #byId(id: string, knex?: Knex): Knex.QueryBuilder<OidcModelRow> {
    return this.#rows(knex).where({ model: this.#model }).whereIn('id', this.#context.ids.candidates(this.#model, id));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (!isStorableKey(id)) throw new TypeError(`${this.#model} id is not a storable key (empty, over ${KEY_MAX_LENGTH} characters, or contains NUL)`);
    const { ids, knex } = this.#context;
    const now = this.#now();
    const storedId = ids.storedId(this.#model, id);
    const consumed: unknown = payload.consumed;
    const uid = optionalKey(this.#model, 'uid', payload.uid);
    const userCode = optionalKey(this.#model, 'userCode', payload.userCode);
    const row: OidcModelRow = {
      model: this.#model,
      id: storedId,
      payload: toStoredPayload(ids, this.#model, id, storedId, payload),
      grant_id: GRANTABLE.has(this.#model) ? optionalKey(this.#model, 'grantId', payload.grantId) : null,
      uid,
      user_code: userCode,
      expires_at: typeof expiresIn === 'number' ? now + expiresIn : null,
      consumed_at: consumed ? (typeof consumed === 'number' ? consumed : now) : null,
      // Only a look-up by another key needs the id back.
      sealed_id: ids.hashes(this.#model) && (uid !== null || userCode !== null) ? ids.seal(id, `${this.#model}:${storedId}`) : null,
      rotated_to: null,
    };
    const rotation = this.#model === 'RefreshToken' ? this.#context.rotations.take() : undefined;
    if (rotation) {
      await knex.transaction(async (trx) => {
        await this.#claim(trx, rotation, storedId, now);
        await this.#write(trx, row);
      });
      return;
    }
    const stale = ids.candidates(this.#model, id).filter((candidate) => candidate !== storedId);
    if (stale.length === 0) {
      await this.#write(knex, row);
      return;
    }
    // A row found under a previous secret moves to the newest, in one
    // transaction that carries its consumption over: another request may
    // have consumed the old row after this model was loaded, and the move
    // must not make a consumed code or token usable again. The old rows are
    // locked (PostgreSQL) so a consume cannot land between read and delete;
    // SQLite runs one writer at a time.
    await knex.transaction(async (trx) => {
      const previous = this.#rows(trx).where({ model: this.#model }).whereIn('id', stale).select('consumed_at');
      const previousRows: Pick<OidcModelRow, 'consumed_at'>[] = await (this.#context.lockRows ? previous.forUpdate() : previous);
      const consumedAt = previousRows.find((previousRow) => previousRow.consumed_at !== null)?.consumed_at ?? null;
      await this.#write(trx, row.consumed_at === null && consumedAt !== null ? { ...row, consumed_at: consumedAt } : row);
      await this.#rows(trx).where({ model: this.#model }).whereIn('id', stale).delete();
    });
  }

  async #write(knex: Knex, row: OidcModelRow): Promise<void> {
    await this.#rows(knex)
      .insert(row)
      .onConflict(['model', 'id'])
      .merge({
        payload: knex.raw('excluded.payload'),
        grant_id: knex.raw('excluded.grant_id'),
        uid: knex.raw('excluded.uid'),
        user_code: knex.raw('excluded.user_code'),
        expires_at: knex.raw('excluded.expires_at'),
        sealed_id: knex.raw('excluded.sealed_id'),
        // Consumption is one-way: re-saving a model loaded before another
        // request consumed it must not make it usable again.
        consumed_at: knex.raw('coalesce(??, excluded.consumed_at)', [`${OIDC_MODELS_TABLE}.consumed_at`]),
      });
  }

  /**
   * The deferred consume of a rotation, in the transaction that saves the
   * successor `successorId`. A token found unused is consumed if still
   * unused; a token found within its retry grace window gets its unused
   * successor retired instead. Either change is conditional, so of two
   * requests that found the token in one state exactly one claims it, and
   * the other is refused as the loser of a race (reuse, which revokes the
   * grant: see revokeGrantOnLostConsume).
   */
  async #claim(trx: Knex.Transaction, found: FoundRefreshToken, successorId: string, now: number): Promise<void> {
    const model = 'RefreshToken';
    let claimed: boolean;
    if (found.retiring === undefined) {
      claimed = (await this.#rows(trx).where({ model, id: found.storedId }).whereNull('consumed_at').update({ consumed_at: now, rotated_to: successorId })) === 1;
    } else {
      claimed =
        (await this.#rows(trx).where({ model, id: found.storedId, rotated_to: found.retiring }).update({ rotated_to: successorId })) === 1 &&
        (await this.#rows(trx).where({ model, id: found.retiring }).whereNull('consumed_at').update({ consumed_at: now })) === 1;
    }
    if (!claimed) throw alreadyConsumed(model);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableKey(id)) return undefined;
    const row = await this.#byId(id).first(...COLUMNS);
    if (!row || this.#expired(row)) return undefined;
    const payload = fromStoredPayload(this.#context.ids, this.#model, id, row.id, row.payload);
    const consumedAt = toEpoch(row.consumed_at);
    if (this.#model === 'RefreshToken') {
      const retiring = consumedAt === null ? undefined : await this.#retrySuccessor(row, consumedAt);
      if (consumedAt === null || retiring !== undefined) {
        this.#context.rotations.found({ storedId: row.id, ...(retiring === undefined ? {} : { retiring }) });
        return payload;
      }
    }
    return consumedAt === null ? payload : { ...payload, consumed: consumedAt };
  }

  /**
   * The successor of a refresh token rotated no longer than the grace window
   * ago, when that successor has never been used: a request presenting the
   * rotated token now is a retry of a rotation whose answer was lost (a
   * failure after the commit, an answer lost on the way), not a replay.
   */
  async #retrySuccessor(row: Columns, consumedAt: number): Promise<string | undefined> {
    if (row.rotated_to === null || this.#now() - consumedAt > this.#context.graceSeconds) return undefined;
    const successor = await this.#rows().where({ model: this.#model, id: row.rotated_to }).first(...COLUMNS);
    return successor && successor.consumed_at === null && !this.#expired(successor) ? successor.id : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!isStorableKey(uid)) return undefined;
    return this.#foundBy(await this.#rows().where({ model: this.#model, uid }).first(...COLUMNS));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!isStorableKey(userCode)) return undefined;
    return this.#foundBy(await this.#rows().where({ model: this.#model, user_code: userCode }).first(...COLUMNS));
  }

  /** A row found by another key than its id: the id comes back from `sealed_id`. */
  #foundBy(row: Columns | undefined): AdapterPayload | undefined {
    if (!row || this.#expired(row)) return undefined;
    const { ids } = this.#context;
    const id = !ids.hashes(this.#model) ? row.id : row.sealed_id === null ? undefined : ids.open(row.sealed_id, `${this.#model}:${row.id}`);
    const payload = fromStoredPayload(ids, this.#model, id, row.id, row.payload);
    const consumedAt = toEpoch(row.consumed_at);
    return consumedAt === null ? payload : { ...payload, consumed: consumedAt };
  }

  /** An expired row is gone as far as the provider can tell, whether or not the sweeper has deleted it yet. */
  #expired(row: Pick<OidcModelRow, 'expires_at'>): boolean {
    const expiresAt = toEpoch(row.expires_at);
    return expiresAt !== null && expiresAt < this.#now();
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
   *
   * A refresh token found in this request is not consumed here but together
   * with the save of its successor (`#claim`, refresh-rotation.ts).
   */
  async consume(id: string): Promise<void> {
    if (!isStorableKey(id)) throw alreadyConsumed(this.#model);
    if (this.#model === 'RefreshToken' && this.#context.rotations.defer(this.#context.ids.candidates(this.#model, id))) return;
    const updated = await this.#byId(id).whereNull('consumed_at').update({ consumed_at: this.#now() });
    if (updated === 0) throw alreadyConsumed(this.#model);
  }

  async destroy(id: string): Promise<void> {
    if (!isStorableKey(id)) return;
    await this.#byId(id).delete();
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
}

/**
 * oidc-provider's `adapter` setting backed by the `oidc_models` table: one
 * adapter per model name, all sharing the given Knex instance. Works on
 * SQLite and PostgreSQL alike. Ids that are bearer credentials are stored
 * as keyed hashes (stored-ids.ts); a refresh token's consume is committed
 * with its successor's save (refresh-rotation.ts).
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
 * const provider = new Provider(issuer, { adapter: createKnexAdapter(database.knex, { ids: createIdProtection(config.secrets) }) });
 * ```
 */
export function createKnexAdapter(knex: Knex, options: KnexAdapterOptions): AdapterFactory {
  const context: AdapterContext = {
    knex,
    clock: options.clock ?? Date.now,
    ids: options.ids,
    graceSeconds: options.refreshRetryGraceSeconds ?? REFRESH_RETRY_GRACE_SECONDS,
    rotations: new RequestRotations(options.currentRequest ?? (() => Provider.ctx)),
    lockRows: knex.client.dialect === 'postgresql',
  };
  return (model: string) => new KnexAdapter(context, model);
}
