import type { Knex } from 'knex';
import { conflict, invalidRequest, notFound, type TollgateError } from '../errors.js';
import { isStorableText } from '../registry/input.js';
import { hashSecret } from '../registry/secrets.js';
import type { TenantScope } from '../registry/tenant-scope.js';
import type { Registry } from '../registry/index.js';
import { TtlCache } from '../registry/ttl-cache.js';
import { writeWith, type WithinWrite } from '../registry/within-write.js';
import { emitEvent, type ApiKeyEvent, type ApiKeyEventListener } from './events.js';
import { generateApiKey, looksLikeApiKey } from './format.js';
import {
  expiresInSeconds,
  toRecord,
  toRow,
  toView,
  validateCreateInput,
  validateRotateOptions,
  type ApiKeyRecord,
  type ApiKeyRow,
  type ApiKeyView,
  type CreateApiKeyInput,
  type RotateApiKeyOptions,
} from './records.js';

type KeyFields = Pick<ApiKeyRecord, 'tenantId' | 'tenantSlug' | 'env' | 'name' | 'scopes' | 'resources' | 'createdBy'>;

/**
 * The error for an id that matches no key. It echoes the id only when it
 * has an id's shape: an operator who pasted the whole key gets told so,
 * and the key never reaches an error message (or a log that records one).
 */
function unknownKey(reference: string): TollgateError {
  if (looksLikeApiKey(reference)) return invalidRequest('expected an API key id (the part after tg_<env>_), not the key itself');
  return notFound(`API key ${/^[0-9A-Za-z]{1,64}$/.test(reference) ? reference : 'with that id'} does not exist`);
}

/** Who changes a key (for the audit log) and, for a tenant administrator, the only tenant whose keys they may change. */
export interface ApiKeyChangeOptions {
  readonly scope?: TenantScope;
  readonly actor?: string;
  /** Runs in the change's transaction with the event it is about to report (within-write.ts). */
  readonly within?: WithinWrite<ApiKeyEvent>;
}

const actorOf = (by: ApiKeyChangeOptions) => (by.actor ? { actor: by.actor } : {});

export interface ApiKeyRepositoryOptions {
  /** How long a verification read may be served from memory (another process's change is seen within it). */
  cacheTtlMs: number;
  clock?: () => number;
  onEvent?: ApiKeyEventListener;
}

/** A key as `create` and `rotate` return it: `key` is the only copy that will ever exist. */
export interface IssuedApiKey {
  apiKey: ApiKeyView;
  key: string;
}

/**
 * Issues, lists, revokes and rotates API keys. Only an argon2id hash of each
 * key's secret part is stored; the full key is returned once, at creation.
 */
export class ApiKeyRepository {
  readonly #cache: TtlCache<ApiKeyRecord | undefined>;
  readonly #clock: () => number;
  readonly #onEvent: ApiKeyEventListener | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly registry: Pick<Registry, 'tenants' | 'resources'>,
    options: ApiKeyRepositoryOptions,
  ) {
    this.#clock = options.clock ?? Date.now;
    this.#onEvent = options.onEvent;
    this.#cache = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 10_000, clock: this.#clock });
  }

  #select() {
    return this.knex('api_keys')
      .join('tenants', 'tenants.id', 'api_keys.tenant_id')
      .select('api_keys.*', 'tenants.slug as tenant_slug');
  }

  async #read(id: string, scope?: TenantScope): Promise<ApiKeyRecord | undefined> {
    if (!isStorableText(id)) return undefined;
    const query = this.#select().where('api_keys.id', id);
    if (scope) query.andWhere('api_keys.tenant_id', scope.tenantId);
    const row: (ApiKeyRow & { tenant_slug: string }) | undefined = await query.first();
    return row && toRecord(row);
  }

  /**
   * Creates a key for a tenant (slug or id). Expires in 90 days unless
   * `expiresIn` says otherwise; a key that never expires needs `'never'`.
   */
  async create(input: CreateApiKeyInput, within?: WithinWrite<ApiKeyEvent>): Promise<IssuedApiKey> {
    const valid = validateCreateInput(input);
    const lifetime = expiresInSeconds(valid.expiresIn);
    const tenant = await this.registry.tenants.findBySlugOrId(valid.tenant);
    if (!tenant) throw invalidRequest(`tenant ${valid.tenant} does not exist`);
    // Checked as a client's are: only scopes of resource servers the key's tenant may use (issue 16.6).
    await this.registry.resources.checkGrant(tenant.id, { audiences: valid.resources, scopes: valid.scopes }, { audience: 'resource', scope: 'scope' });
    const { record, key } = await this.#newKey(
      {
        tenantId: tenant.id,
        tenantSlug: tenant.slug,
        env: valid.env ?? 'live',
        name: valid.name,
        scopes: valid.scopes,
        resources: valid.resources,
        createdBy: valid.createdBy ?? null,
      },
      lifetime,
    );
    const event: ApiKeyEvent = {
      type: 'api_key.created',
      apiKeyId: record.id,
      tenantId: tenant.id,
      resources: [...record.resources],
      scopes: [...record.scopes],
      ...(record.createdBy ? { actor: record.createdBy } : {}),
    };
    await writeWith(this.knex, async (db) => {
      await db('api_keys').insert(toRow(record));
      return event;
    }, within);
    // A miss for this id may have been cached by a probe before it existed.
    this.#cache.delete(record.id);
    emitEvent(this.#onEvent, event);
    return { apiKey: toView(record, record.createdAt), key };
  }

  /** Generates and hashes a key (before any transaction: argon2 is slow). */
  async #newKey(fields: KeyFields, lifetimeSeconds: number | null): Promise<{ record: ApiKeyRecord; key: string }> {
    const generated = generateApiKey(fields.env);
    const now = this.#clock();
    const record: ApiKeyRecord = {
      ...fields,
      id: generated.id,
      secretHash: await hashSecret(generated.secret),
      createdAt: now,
      expiresAt: lifetimeSeconds === null ? null : now + lifetimeSeconds * 1000,
      revokedAt: null,
      lastUsedAt: null,
      rotatedAt: null,
      replacedBy: null,
    };
    return { record, key: generated.key };
  }

  /** Every key (of one tenant, by slug or id), oldest first: never a key or a hash. */
  async list(filter: { tenant?: string; scope?: TenantScope } = {}): Promise<ApiKeyView[]> {
    const query = this.#select().orderBy('api_keys.created_at').orderBy('api_keys.id');
    if (filter.tenant) query.where((where) => where.where('tenants.slug', filter.tenant).orWhere('tenants.id', filter.tenant));
    if (filter.scope) query.where('api_keys.tenant_id', filter.scope.tenantId);
    const rows: (ApiKeyRow & { tenant_slug: string })[] = await query;
    const now = this.#clock();
    return rows.map((row) => toView(toRecord(row), now));
  }

  /** One key's view; `not_found` for an unknown id (and, with `scope`, for another tenant's key). */
  async get(id: string, scope?: TenantScope): Promise<ApiKeyView> {
    const record = await this.#read(id, scope);
    if (!record) throw unknownKey(id);
    return toView(record, this.#clock());
  }

  /**
   * The key with its hash, for verification; undefined for unknown ids.
   * Read through a short cache because it runs on every request; a change
   * made by another process is seen within the cache TTL.
   */
  findForVerification(id: string): Promise<ApiKeyRecord | undefined> {
    if (!isStorableText(id)) return Promise.resolve(undefined);
    return this.#cache.get(id, () => this.#read(id));
  }

  /** Stops the key at once (in this process; elsewhere within the cache TTL). Revoking twice changes nothing. */
  async revoke(id: string, by: ApiKeyChangeOptions = {}): Promise<ApiKeyView> {
    if (!isStorableText(id)) throw unknownKey(id);
    // The tenant scope is in the WHERE clause; the read after it is the answer, and the 404 for an id outside the scope.
    const { within } = by;
    const revoked = await writeWith(this.knex, async (db): Promise<ApiKeyEvent | undefined> => {
      const updated = await db('api_keys')
        .where({ id, ...(by.scope ? { tenant_id: by.scope.tenantId } : {}) })
        .whereNull('revoked_at')
        .update({ revoked_at: this.#clock() });
      const row: Pick<ApiKeyRow, 'tenant_id'> | undefined = updated ? await db('api_keys').where({ id }).first('tenant_id') : undefined;
      return row && { type: 'api_key.revoked', apiKeyId: id, tenantId: row.tenant_id, ...actorOf(by) };
    }, within && (async (db, event) => {
      if (event) await within(db, event);
    }));
    this.#cache.delete(id);
    const view = await this.get(id, by.scope);
    if (revoked) emitEvent(this.#onEvent, revoked);
    return view;
  }

  /**
   * Issues a replacement (new id and secret; same tenant, name, scopes,
   * resources, environment and lifetime) and lets the old key work for `overlap`
   * more seconds, never longer than it already would have. A key can be
   * rotated once: further rotations start from its replacement.
   */
  async rotate(id: string, options: RotateApiKeyOptions, by: ApiKeyChangeOptions = {}): Promise<IssuedApiKey & { previous: ApiKeyView }> {
    const { overlap } = validateRotateOptions(options);
    const old = await this.#read(id, by.scope);
    if (!old) throw unknownKey(id);
    if (old.revokedAt !== null) throw conflict(`API key ${id} is revoked; create a new key instead`);
    if (old.replacedBy !== null) throw conflict(`API key ${id} was already rotated; rotate ${old.replacedBy} instead`);
    const lifetime = old.expiresAt === null ? null : Math.round((old.expiresAt - old.createdAt) / 1000);

    const { record, key } = await this.#newKey(
      { tenantId: old.tenantId, tenantSlug: old.tenantSlug, env: old.env, name: old.name, scopes: old.scopes, resources: old.resources, createdBy: old.createdBy },
      lifetime,
    );
    const overlapEnd = record.createdAt + overlap * 1000;
    const event: ApiKeyEvent = {
      type: 'api_key.rotated',
      apiKeyId: id,
      tenantId: old.tenantId,
      replacedBy: record.id,
      overlapSeconds: overlap,
      ...actorOf(by),
    };
    await writeWith(this.knex, async (transaction) => {
      await transaction('api_keys').insert(toRow(record));
      // Conditional on the state checked above, so two rotations at once
      // cannot both succeed and fork the key into two replacements.
      const updated = await transaction('api_keys')
        .where({ id })
        .whereNull('replaced_by')
        .whereNull('revoked_at')
        .update({
          replaced_by: record.id,
          rotated_at: record.createdAt,
          expires_at: old.expiresAt === null ? overlapEnd : Math.min(old.expiresAt, overlapEnd),
        });
      if (!updated) throw conflict(`API key ${id} was rotated or revoked meanwhile`);
      return event;
    }, by.within);
    this.#cache.delete(id);
    this.#cache.delete(record.id);
    emitEvent(this.#onEvent, event);
    return { apiKey: toView(record, record.createdAt), key, previous: await this.get(id) };
  }
}
