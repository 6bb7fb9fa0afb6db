import type { JSONSchemaType } from 'ajv';
import { API_KEY_ENVIRONMENTS, type ApiKeyEnvironment } from '../api-keys/index.js';
import { createClientSchema, updateClientSchema, type CreateClientInput, type UpdateClientInput } from '../registry/clients.js';
import { appClientSchema, type CreateAppClientInput } from '../registry/app-clients.js';
import { SCOPE_TOKEN } from '../registry/input.js';
import { createResourceSchema, shareResourceSchema, type CreateResourceInput, type ShareResourceInput } from '../registry/resources.js';
import { createTenantSchema, updateTenantSchema, type CreateTenantInput, type UpdateTenantInput } from '../registry/tenants.js';
import { createUserSchema, setPasswordSchema, type CreateUserInput, type SetPasswordInput } from '../users/index.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../keys/key-store.js';

/**
 * Request bodies of the admin API: write allow-lists (`additionalProperties:
 * false`), so an unknown or server-owned field (`client_id`, `secret_hash`,
 * `token_version`, `created_at`, …) is a 400 naming it, never silently
 * stored. Where the registry's own input schema fits, it is used as is, so
 * the API accepts what the CLI accepts; the OpenAPI document is generated
 * from these same objects.
 */

const SCOPES = { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 } as const;
const TENANT_REFERENCE = { type: 'string', minLength: 1, maxLength: 64, nullable: true } as const;

/** Tenants, resource servers and client quotas: exactly what the registry accepts. */
export const createTenantBody: JSONSchemaType<CreateTenantInput> = createTenantSchema;
export const updateTenantBody: JSONSchemaType<UpdateTenantInput> = updateTenantSchema;
export const createResourceBody: JSONSchemaType<CreateResourceInput> = createResourceSchema;
export const shareResourceBody: JSONSchemaType<ShareResourceInput> = shareResourceSchema;
export const updateClientBody: JSONSchemaType<UpdateClientInput> = updateClientSchema;

/** A client as the registry takes it, except that the tenant may be left out (a tenant admin's own). */
export type CreateClientBody = Omit<CreateClientInput, 'tenant'> & { tenant?: string };

export const createClientBody = {
  ...createClientSchema,
  properties: { ...createClientSchema.properties, tenant: TENANT_REFERENCE },
  required: createClientSchema.required.filter((field) => field !== 'tenant'),
} as unknown as JSONSchemaType<CreateClientBody>;

/**
 * An app client (authorization code) as `clients create --grant
 * authorization_code` takes it: the machine fields the CLI passes plus the
 * app fields, each from the registry's own schema; the tenant may be left out.
 */
export type CreateAppClientBody = Pick<CreateAppClientInput, 'name' | 'resources' | 'scopes' | 'cors_origins' | 'redirect_uris' | 'post_logout_redirect_uris' | 'public'> & {
  tenant?: string;
};

const { name, resources, scopes, cors_origins } = createClientSchema.properties;
export const createAppClientBody = {
  type: 'object',
  properties: { name, tenant: TENANT_REFERENCE, resources, scopes, cors_origins, ...appClientSchema.properties },
  required: ['name', 'resources', 'scopes', ...appClientSchema.required],
  additionalProperties: false,
} as unknown as JSONSchemaType<CreateAppClientBody>;

/** A user as `users create` takes it, except that the tenant may be left out and the password generated. */
export type CreateUserBody = Omit<CreateUserInput, 'tenant' | 'password'> & { tenant?: string; password?: string };

export const createUserBody = {
  ...createUserSchema,
  properties: { ...createUserSchema.properties, tenant: TENANT_REFERENCE, password: { ...createUserSchema.properties.password, nullable: true } },
  required: ['email'],
} as unknown as JSONSchemaType<CreateUserBody>;

/** A new password: held to the rule a created user's is. */
export const setPasswordBody: JSONSchemaType<SetPasswordInput> = setPasswordSchema;

export interface CreateApiKeyBody {
  /** Slug or id; a tenant admin's keys always go to the admin's own tenant. */
  tenant?: string;
  name: string;
  /** The resource servers (audiences) the key is for: the tenant's own or shared with it. */
  resources: string[];
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
    resources: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 50 },
    scopes: SCOPES,
    expires_in: { type: 'string', minLength: 1, maxLength: 16, nullable: true },
    env: { type: 'string', enum: [...API_KEY_ENVIRONMENTS], nullable: true },
  },
  required: ['name', 'resources', 'scopes'],
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
