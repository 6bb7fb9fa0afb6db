import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { conflict, invalidRequest } from '../errors.js';
import { compileInput, isStorableText, parseList, SCOPE_TOKEN } from './input.js';
import { TtlCache } from './ttl-cache.js';

/** Resource-server fields an audit event records (CLI and admin API). */
export const RESOURCE_FIELDS = ['audience', 'name', 'scopes', 'accessTokenTtl', 'tokenFormat'] as const;

export type TokenFormat = 'jwt' | 'opaque';

/** A resource server (RFC 8707 resource indicator = the tokens' audience). */
export interface ResourceServer {
  id: string;
  audience: string;
  name: string | null;
  scopes: string[];
  /** Seconds; null means the server default (TOLLGATE_ACCESS_TOKEN_TTL). */
  accessTokenTtl: number | null;
  tokenFormat: TokenFormat;
  createdAt: number;
  updatedAt: number;
}

export interface CreateResourceInput {
  audience: string;
  name?: string;
  scopes: string[];
  access_token_ttl?: number;
  token_format?: TokenFormat;
}

/** Exported for the admin API, which validates with it and publishes it in its OpenAPI document. */
export const createResourceSchema = {
  type: 'object',
  properties: {
    // An absolute URI without a fragment (RFC 8707 §2).
    audience: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9+.-]*:[^#\\s\\x00-\\x1f]+$', maxLength: 2000 },
    name: { type: 'string', minLength: 1, maxLength: 200, nullable: true },
    scopes: { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 },
    access_token_ttl: { type: 'integer', minimum: 30, maximum: 86400, nullable: true },
    token_format: { type: 'string', enum: ['jwt', 'opaque'], nullable: true },
  },
  required: ['audience', 'scopes'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateResourceInput>;
const createResourceInput = compileInput<CreateResourceInput>(createResourceSchema);

interface ResourceRow {
  id: string;
  audience: string;
  name: string | null;
  scopes: string;
  access_token_ttl: number | null;
  token_format: string;
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
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class ResourceRepository {
  readonly #cache: TtlCache<ResourceServer | undefined>;

  constructor(
    private readonly knex: Knex,
    options: { cacheTtlMs: number },
  ) {
    this.#cache = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 10_000 });
  }

  async create(input: CreateResourceInput): Promise<ResourceServer> {
    const valid = createResourceInput(input);
    if (!URL.canParse(valid.audience)) throw invalidRequest('audience must be an absolute URI');
    if (await this.findByAudience(valid.audience)) throw conflict(`resource server ${valid.audience} already exists`);
    const now = Date.now();
    const row: ResourceRow = {
      id: randomUUID(),
      audience: valid.audience,
      name: valid.name ?? null,
      scopes: JSON.stringify(valid.scopes),
      access_token_ttl: valid.access_token_ttl ?? null,
      token_format: valid.token_format ?? 'jwt',
      created_at: now,
      updated_at: now,
    };
    await this.knex('resource_servers').insert(row);
    this.#cache.delete(row.audience);
    return toResource(row);
  }

  async list(): Promise<ResourceServer[]> {
    const rows: ResourceRow[] = await this.knex('resource_servers').select('*').orderBy('audience');
    return rows.map(toResource);
  }

  /** Read through a short cache: this runs on every token request. */
  findByAudience(audience: string): Promise<ResourceServer | undefined> {
    if (!isStorableText(audience)) return Promise.resolve(undefined);
    return this.#cache.get(audience, async () => {
      const row: ResourceRow | undefined = await this.knex('resource_servers').where({ audience }).first();
      return row && toResource(row);
    });
  }
}
