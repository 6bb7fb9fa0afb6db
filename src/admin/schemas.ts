import type { JSONSchemaType } from 'ajv';
import { API_KEY_ENVIRONMENTS, type ApiKeyEnvironment } from '../api-keys/index.js';
import { LIMIT_SPEC, ROLE, SCOPE_TOKEN, SLUG } from '../registry/input.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../keys/key-store.js';

/**
 * Request bodies of the admin API: write allow-lists (`additionalProperties:
 * false`), so an unknown or server-owned field (`client_id`, `secret_hash`,
 * `token_version`, `created_at`, …) is a 400 naming it, never silently
 * stored. The OpenAPI document is generated from these same objects.
 */

const SCOPES = { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 } as const;
const TENANT_REFERENCE = { type: 'string', minLength: 1, maxLength: 64, nullable: true } as const;

export interface CreateTenantBody {
  slug: string;
  name: string;
  token_quota?: string | null;
}

export const createTenantBody: JSONSchemaType<CreateTenantBody> = {
  type: 'object',
  properties: {
    slug: { type: 'string', pattern: SLUG },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    token_quota: LIMIT_SPEC,
  },
  required: ['slug', 'name'],
  additionalProperties: false,
};

export interface QuotaBody {
  token_quota?: string | null;
}

/** PATCH of a tenant or client: the token quota is the only field an operator changes after creation. */
export const quotaBody: JSONSchemaType<QuotaBody> = {
  type: 'object',
  properties: { token_quota: LIMIT_SPEC },
  required: [],
  additionalProperties: false,
};

export interface CreateResourceBody {
  audience: string;
  name?: string;
  scopes: string[];
  access_token_ttl?: number;
  token_format?: 'jwt' | 'opaque';
}

export const createResourceBody: JSONSchemaType<CreateResourceBody> = {
  type: 'object',
  properties: {
    audience: { type: 'string', minLength: 1, maxLength: 2000 },
    name: { type: 'string', minLength: 1, maxLength: 200, nullable: true },
    scopes: SCOPES,
    access_token_ttl: { type: 'integer', minimum: 30, maximum: 86400, nullable: true },
    token_format: { type: 'string', enum: ['jwt', 'opaque'], nullable: true },
  },
  required: ['audience', 'scopes'],
  additionalProperties: false,
};

export interface CreateClientBody {
  name: string;
  /** Slug or id; a tenant admin's clients always go to the admin's own tenant. */
  tenant?: string;
  resources: string[];
  scopes: string[];
  roles?: string[];
  ip_allowlist?: string[];
  cors_origins?: string[];
  secret_expires_in?: number;
  token_quota?: string | null;
}

export const createClientBody: JSONSchemaType<CreateClientBody> = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    tenant: TENANT_REFERENCE,
    resources: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 50 },
    scopes: SCOPES,
    roles: { type: 'array', items: { type: 'string', pattern: ROLE }, uniqueItems: true, maxItems: 100, nullable: true },
    ip_allowlist: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, maxItems: 100, nullable: true },
    cors_origins: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 300 }, uniqueItems: true, maxItems: 50, nullable: true },
    secret_expires_in: { type: 'integer', minimum: 60, nullable: true },
    token_quota: LIMIT_SPEC,
  },
  required: ['name', 'resources', 'scopes'],
  additionalProperties: false,
};

export interface CreateApiKeyBody {
  /** Slug or id; a tenant admin's keys always go to the admin's own tenant. */
  tenant?: string;
  name: string;
  scopes: string[];
  /** `90d`, `12h`, `30m`, `45s`, `3600` (seconds) or `never`; 90 days when absent. */
  expires_in?: string;
  env?: ApiKeyEnvironment;
}

export const createApiKeyBody: JSONSchemaType<CreateApiKeyBody> = {
  type: 'object',
  properties: {
    tenant: TENANT_REFERENCE,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    scopes: SCOPES,
    expires_in: { type: 'string', minLength: 1, maxLength: 16, nullable: true },
    env: { type: 'string', enum: [...API_KEY_ENVIRONMENTS], nullable: true },
  },
  required: ['name', 'scopes'],
  additionalProperties: false,
};

export interface RotateApiKeyBody {
  /** How long the old key keeps working: `7d`, `12h`, `0`… */
  overlap: string;
}

export const rotateApiKeyBody: JSONSchemaType<RotateApiKeyBody> = {
  type: 'object',
  properties: { overlap: { type: 'string', minLength: 1, maxLength: 16 } },
  required: ['overlap'],
  additionalProperties: false,
};

export interface RotateSigningKeysBody {
  alg?: SigningAlgorithm;
}

export const rotateSigningKeysBody: JSONSchemaType<RotateSigningKeysBody> = {
  type: 'object',
  properties: { alg: { type: 'string', enum: [...SIGNING_ALGORITHMS], nullable: true } },
  required: [],
  additionalProperties: false,
};
