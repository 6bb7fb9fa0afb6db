import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { conflict, notFound } from '../errors.js';
import { compileInput, isStorableText, LIMIT_SPEC, SLUG } from './input.js';
import { writeWith, type WithinWrite } from './within-write.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  /** Tokens all of the tenant's clients together may get, as `<count>/<unit>`; null: no quota. */
  tokenQuota: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface CreateTenantInput {
  slug: string;
  name: string;
  token_quota?: string | null;
}

export interface UpdateTenantInput {
  /** A new quota, or null to remove it. */
  token_quota?: string | null;
}

/** Exported for the admin API, which validates with it and publishes it in its OpenAPI document. */
export const createTenantSchema = {
  type: 'object',
  properties: {
    slug: { type: 'string', pattern: SLUG },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    token_quota: LIMIT_SPEC,
  },
  required: ['slug', 'name'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateTenantInput>;
const createTenantInput = compileInput<CreateTenantInput>(createTenantSchema);

export const updateTenantSchema = {
  type: 'object',
  properties: { token_quota: LIMIT_SPEC },
  required: [],
  additionalProperties: false,
} satisfies JSONSchemaType<UpdateTenantInput>;
const updateTenantInput = compileInput<UpdateTenantInput>(updateTenantSchema);

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  token_quota: string | null;
  created_at: number;
  updated_at: number;
}

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  tokenQuota: row.token_quota ?? null,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class TenantRepository {
  readonly #changeListeners: ((tenantId: string) => void)[] = [];

  constructor(private readonly knex: Knex) {}

  /**
   * Tells `listener` whenever this process changes a tenant, so caches of
   * rows joined with it (clients carry their tenant's quota) drop them at
   * once rather than after their TTL.
   */
  onChange(listener: (tenantId: string) => void): void {
    this.#changeListeners.push(listener);
  }

  /** `within` runs in the insert's transaction (within-write.ts). */
  async create(input: CreateTenantInput, within?: WithinWrite<Tenant>): Promise<Tenant> {
    const { slug, name, token_quota } = createTenantInput(input);
    if (await this.findBySlug(slug)) throw conflict(`tenant ${slug} already exists`);
    const now = Date.now();
    const row: TenantRow = { id: randomUUID(), slug, name, token_quota: token_quota ?? null, created_at: now, updated_at: now };
    return writeWith(this.knex, async (db) => {
      await db('tenants').insert(row);
      return toTenant(row);
    }, within);
  }

  /** Changes the fields given; `reference` is a slug or an id. `within` sees the tenant as it is after the change. */
  async update(reference: string, input: UpdateTenantInput, within?: WithinWrite<Tenant>): Promise<Tenant> {
    const changes = updateTenantInput(input);
    const tenant = await this.findBySlugOrId(reference);
    if (!tenant) throw notFound(`tenant ${reference} does not exist`);
    try {
      return await writeWith(this.knex, async (db) => {
        await db('tenants')
          .where({ id: tenant.id })
          .update({ ...changes, updated_at: Date.now() });
        const row: TenantRow | undefined = await db('tenants').where({ id: tenant.id }).first();
        if (!row) throw notFound(`tenant ${reference} does not exist`);
        return toTenant(row);
      }, within);
    } finally {
      this.#changeListeners.forEach((listener) => listener(tenant.id));
    }
  }

  async list(): Promise<Tenant[]> {
    const rows: TenantRow[] = await this.knex('tenants').select('*').orderBy('slug');
    return rows.map(toTenant);
  }

  async findBySlug(slug: string): Promise<Tenant | undefined> {
    if (!isStorableText(slug)) return undefined;
    const row: TenantRow | undefined = await this.knex('tenants').where({ slug }).first();
    return row && toTenant(row);
  }

  /** Accepts the slug operators type, or the id the API returns. */
  async findBySlugOrId(reference: string): Promise<Tenant | undefined> {
    if (!isStorableText(reference)) return undefined;
    const row: TenantRow | undefined = await this.knex('tenants')
      .where({ slug: reference })
      .orWhere({ id: reference })
      .first();
    return row && toTenant(row);
  }
}
