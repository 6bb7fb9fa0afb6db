import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { conflict, invalidRequest, notFound } from '../errors.js';
import { AUDIENCE_URI, compileInput, isStorableText, parseList, SCOPE_TOKEN } from './input.js';
import type { TenantRepository } from './tenants.js';
import { TtlCache } from './ttl-cache.js';
import { writeWith, type WithinWrite } from './within-write.js';

export type TokenFormat = 'jwt' | 'opaque';

/** In `sharedWith`: every tenant. Only the admin API's own resource server is registered so. */
export const EVERY_TENANT = '*';

/** A resource server (RFC 8707 resource indicator = the tokens' audience). */
export interface ResourceServer {
  id: string;
  audience: string;
  name: string | null;
  scopes: string[];
  /** Seconds; null means the server default (TOLLGATE_ACCESS_TOKEN_TTL). */
  accessTokenTtl: number | null;
  tokenFormat: TokenFormat;
  /** The owning tenant, whose admins may grant its scopes; null: a global admin's, usable only where shared. */
  tenantId: string | null;
  /** Other tenants (ids) that may grant its scopes, shared by a global admin; `*` is every tenant. */
  sharedWith: string[];
  createdAt: number;
  updatedAt: number;
}

/**
 * Whether clients, API keys and token-exchange policies of `tenantId` may
 * name this resource server (and so carry its scopes): it is the tenant's
 * own, or a global admin shared it with that tenant.
 */
export function mayUseResource(resource: Pick<ResourceServer, 'tenantId' | 'sharedWith'>, tenantId: string): boolean {
  return resource.tenantId === tenantId || resource.sharedWith.includes(tenantId) || resource.sharedWith.includes(EVERY_TENANT);
}

export interface CreateResourceInput {
  audience: string;
  name?: string;
  scopes: string[];
  access_token_ttl?: number;
  token_format?: TokenFormat;
  /** Owning tenant (slug or id); none: a global resource server, usable only where shared. */
  tenant?: string;
  /** Tenants (slugs or ids) that may use it besides its owner; `*` for every tenant. */
  shared_with?: string[];
}

export interface ShareResourceInput {
  /** The complete new list (slugs or ids; `*` for every tenant); an empty list stops all sharing. */
  shared_with: string[];
}

const TENANT_LIST = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, uniqueItems: true, maxItems: 1000 } as const;

/** Exported for the admin API, which validates with it and publishes it in its OpenAPI document. */
export const createResourceSchema = {
  type: 'object',
  properties: {
    // An absolute URI without a fragment (RFC 8707 §2).
    audience: { type: 'string', pattern: AUDIENCE_URI, maxLength: 2000 },
    name: { type: 'string', minLength: 1, maxLength: 200, nullable: true },
    scopes: { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 },
    access_token_ttl: { type: 'integer', minimum: 30, maximum: 86400, nullable: true },
    token_format: { type: 'string', enum: ['jwt', 'opaque'], nullable: true },
    tenant: { type: 'string', minLength: 1, maxLength: 64, nullable: true },
    shared_with: { ...TENANT_LIST, nullable: true },
  },
  required: ['audience', 'scopes'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateResourceInput>;
const createResourceInput = compileInput<CreateResourceInput>(createResourceSchema);

export const shareResourceSchema = {
  type: 'object',
  properties: { shared_with: TENANT_LIST },
  required: ['shared_with'],
  additionalProperties: false,
} satisfies JSONSchemaType<ShareResourceInput>;
const shareResourceInput = compileInput<ShareResourceInput>(shareResourceSchema);

interface ResourceRow {
  id: string;
  audience: string;
  name: string | null;
  scopes: string;
  access_token_ttl: number | null;
  token_format: string;
  tenant_id: string | null;
  shared_with: string;
  created_at: number;
  updated_at: number;
}

const toResource = (row: ResourceRow): ResourceServer => ({
  id: row.id,
  audience: row.audience,
  name: row.name,
  scopes: parseList(row.scopes),
  accessTokenTtl: row.access_token_ttl,
  tokenFormat: row.token_format === 'opaque' ? 'opaque' : 'jwt',
  tenantId: row.tenant_id ?? null,
  sharedWith: parseList(row.shared_with),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class ResourceRepository {
  readonly #cache: TtlCache<ResourceServer | undefined>;

  constructor(
    private readonly knex: Knex,
    private readonly tenants: TenantRepository,
    options: { cacheTtlMs: number },
  ) {
    this.#cache = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 10_000 });
  }

  /** `within` runs in the insert's transaction (within-write.ts). */
  async create(input: CreateResourceInput, within?: WithinWrite<ResourceServer>): Promise<ResourceServer> {
    const valid = createResourceInput(input);
    if (!URL.canParse(valid.audience)) throw invalidRequest('audience must be an absolute URI');
    const owner = valid.tenant === undefined || valid.tenant === null ? undefined : await this.tenants.findBySlugOrId(valid.tenant);
    if (valid.tenant && !owner) throw invalidRequest(`tenant ${valid.tenant} does not exist`);
    const sharedWith = await this.#tenantIds(valid.shared_with ?? []);
    if (await this.findByAudience(valid.audience)) throw conflict(`resource server ${valid.audience} already exists`);
    const now = Date.now();
    const row: ResourceRow = {
      id: randomUUID(),
      audience: valid.audience,
      name: valid.name ?? null,
      scopes: JSON.stringify(valid.scopes),
      access_token_ttl: valid.access_token_ttl ?? null,
      token_format: valid.token_format ?? 'jwt',
      tenant_id: owner?.id ?? null,
      shared_with: JSON.stringify(sharedWith),
      created_at: now,
      updated_at: now,
    };
    try {
      return await writeWith(this.knex, async (db) => {
        await db('resource_servers').insert(row);
        return toResource(row);
      }, within);
    } finally {
      this.#cache.delete(row.audience);
    }
  }

  /** Replaces the list of tenants a resource server (by id or audience) is shared with: a global admin's decision. */
  async share(
    reference: string,
    input: ShareResourceInput,
    within?: WithinWrite<{ before: ResourceServer; after: ResourceServer }>,
  ): Promise<{ before: ResourceServer; after: ResourceServer }> {
    const valid = shareResourceInput(input);
    const sharedWith = await this.#tenantIds(valid.shared_with);
    const row: ResourceRow | undefined = isStorableText(reference)
      ? await this.knex('resource_servers').where({ id: reference }).orWhere({ audience: reference }).first()
      : undefined;
    if (!row) throw notFound(`resource server ${reference} does not exist`);
    const changes = { shared_with: JSON.stringify(sharedWith), updated_at: Date.now() };
    try {
      return await writeWith(this.knex, async (db) => {
        await db('resource_servers').where({ id: row.id }).update(changes);
        return { before: toResource(row), after: toResource({ ...row, ...changes }) };
      }, within);
    } finally {
      this.#cache.delete(row.audience);
    }
  }

  /** Tenant references (slug or id) → ids, in order; `*` stays `*`. */
  async #tenantIds(references: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const reference of references) {
      if (reference === EVERY_TENANT) {
        ids.push(EVERY_TENANT);
        continue;
      }
      const tenant = await this.tenants.findBySlugOrId(reference);
      if (!tenant) throw invalidRequest(`tenant ${reference} does not exist`);
      ids.push(tenant.id);
    }
    return [...new Set(ids)];
  }

  /** Every resource server, or with `usableBy` only those that tenant may use. */
  async list(filter: { usableBy?: string } = {}): Promise<ResourceServer[]> {
    const rows: ResourceRow[] = await this.knex('resource_servers').select('*').orderBy('audience');
    const resources = rows.map(toResource);
    const { usableBy } = filter;
    return usableBy === undefined ? resources : resources.filter((resource) => mayUseResource(resource, usableBy));
  }

  /** Read through a short cache: this runs on every token request. */
  findByAudience(audience: string): Promise<ResourceServer | undefined> {
    if (!isStorableText(audience)) return Promise.resolve(undefined);
    return this.#cache.get(audience, async () => {
      const row: ResourceRow | undefined = await this.knex('resource_servers').where({ audience }).first();
      return row && toResource(row);
    });
  }

  /** The resource server if `tenantId` may use it; another tenant's is answered like one that does not exist. */
  async findUsable(audience: string, tenantId: string): Promise<ResourceServer | undefined> {
    const resource = await this.findByAudience(audience);
    return resource && mayUseResource(resource, tenantId) ? resource : undefined;
  }

  /**
   * Checks that every audience is a resource server `tenantId` may use and
   * that every scope is offered by one of them: what a tenant may grant to
   * a client, an API key or a token-exchange policy. `field` names the
   * input in the errors (`resource`, `token_exchange audience`).
   */
  async checkGrant(tenantId: string, grant: { audiences: readonly string[]; scopes: readonly string[] }, field: { audience: string; scope: string }): Promise<void> {
    const offered = new Set<string>();
    for (const audience of grant.audiences) {
      const resource = await this.findUsable(audience, tenantId);
      if (!resource) throw invalidRequest(`${field.audience} ${audience} is not a resource server of this tenant or shared with it`);
      resource.scopes.forEach((scope) => offered.add(scope));
    }
    const unknown = grant.scopes.filter((scope) => !offered.has(scope));
    if (unknown.length) throw invalidRequest(`${field.scope} ${unknown.join(' ')} is not offered by its resource servers`);
  }
}
