import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { conflict } from '../errors.js';
import { compileInput, SLUG } from './input.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface CreateTenantInput {
  slug: string;
  name: string;
}

const createTenantInput = compileInput<CreateTenantInput>({
  type: 'object',
  properties: {
    slug: { type: 'string', pattern: SLUG },
    name: { type: 'string', minLength: 1, maxLength: 200 },
  },
  required: ['slug', 'name'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateTenantInput>);

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  created_at: number;
  updated_at: number;
}

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class TenantRepository {
  constructor(private readonly knex: Knex) {}

  async create(input: CreateTenantInput): Promise<Tenant> {
    const { slug, name } = createTenantInput(input);
    if (await this.findBySlug(slug)) throw conflict(`tenant ${slug} already exists`);
    const now = Date.now();
    const row: TenantRow = { id: randomUUID(), slug, name, created_at: now, updated_at: now };
    await this.knex('tenants').insert(row);
    return toTenant(row);
  }

  async list(): Promise<Tenant[]> {
    const rows: TenantRow[] = await this.knex('tenants').select('*').orderBy('slug');
    return rows.map(toTenant);
  }

  async findBySlug(slug: string): Promise<Tenant | undefined> {
    const row: TenantRow | undefined = await this.knex('tenants').where({ slug }).first();
    return row && toTenant(row);
  }

  /** Accepts the slug operators type, or the id the API returns. */
  async findBySlugOrId(reference: string): Promise<Tenant | undefined> {
    const row: TenantRow | undefined = await this.knex('tenants')
      .where({ slug: reference })
      .orWhere({ id: reference })
      .first();
    return row && toTenant(row);
  }
}
