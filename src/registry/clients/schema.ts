import type { JSONSchemaType } from 'ajv';
import { CLIENT_PROOF_SCHEMA } from '../client-proof.js';
import { compileInput, LIMIT_SPEC, ROLE, SCOPE_TOKEN } from '../input.js';
import type { CreateClientInput, UpdateClientInput } from './types.js';

/** Exported for the admin API, which validates with it and publishes it in its OpenAPI document. */
export const createClientSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    tenant: { type: 'string', minLength: 1, maxLength: 64 },
    resources: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 50 },
    scopes: { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 },
    roles: { type: 'array', items: { type: 'string', pattern: ROLE }, uniqueItems: true, maxItems: 100, nullable: true },
    ip_allowlist: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, maxItems: 100, nullable: true },
    cors_origins: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 300 }, uniqueItems: true, maxItems: 50, nullable: true },
    secret_expires_in: { type: 'integer', minimum: 60, nullable: true },
    token_quota: LIMIT_SPEC,
    ...CLIENT_PROOF_SCHEMA,
    introspect_audiences: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, uniqueItems: true, maxItems: 50, nullable: true },
  },
  required: ['name', 'tenant', 'resources', 'scopes'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateClientInput>;
export const createClientInput = compileInput<CreateClientInput>(createClientSchema);

export const updateClientSchema = {
  type: 'object',
  properties: { token_quota: LIMIT_SPEC, introspect_audiences: createClientSchema.properties.introspect_audiences },
  required: [],
  additionalProperties: false,
} satisfies JSONSchemaType<UpdateClientInput>;
export const updateClientInput = compileInput<UpdateClientInput>(updateClientSchema);

