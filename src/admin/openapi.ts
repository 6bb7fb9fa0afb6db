import { ADMIN_AUDIENCE, ADMIN_SCOPE, TENANT_ADMIN_SCOPE } from './audience.js';
import type { CompiledRoute } from './route.js';

type Schema = Record<string, unknown>;

/**
 * The request schemas are AJV (draft-07 with `nullable`); OpenAPI 3.1 uses
 * JSON Schema 2020-12, where a nullable field is `type: [T, 'null']`.
 */
function toJsonSchema2020(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema2020);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Schema;
  const converted: Schema = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, toJsonSchema2020(value)]));
  if (nullable === true && typeof converted['type'] === 'string') {
    converted['type'] = [converted['type'], 'null'];
    if (Array.isArray(converted['enum'])) converted['enum'] = [...(converted['enum'] as unknown[]), null];
  }
  return converted;
}

const string = { type: 'string' } as const;
const strings = { type: 'array', items: string } as const;
const nullableString = { type: ['string', 'null'] } as const;
const integer = { type: 'integer' } as const;
const time = { type: 'integer', description: 'epoch milliseconds' } as const;
const nullableTime = { type: ['integer', 'null'], description: 'epoch milliseconds' } as const;
const object = (properties: Schema, required = Object.keys(properties)): Schema => ({ type: 'object', properties, required });

/** What the API answers: the views the CLI prints with `--json` (never a hash; a secret only where `returnsSecret`). */
const RESPONSE_SCHEMAS: Record<string, Schema> = {
  Error: object({ error: string, error_description: string }),
  Tenant: object({ id: string, slug: string, name: string, token_quota: nullableString, created_at: time, updated_at: time }),
  ResourceServer: object({
    id: string, audience: string, name: nullableString, scopes: strings, access_token_ttl: { type: ['integer', 'null'] },
    token_format: { type: 'string', enum: ['jwt', 'opaque'] }, created_at: time, updated_at: time,
    tenant_id: { type: ['string', 'null'], description: 'the owning tenant; null: a global resource server, usable only where shared' },
    shared_with: { ...strings, description: 'tenant ids that may also grant its scopes; "*" is every tenant' },
  }),
  Client: object({
    client_id: string, tenant_id: string, tenant_slug: string, name: string, secret_expires_at: nullableTime, roles: strings, scopes: strings,
    resources: strings, ip_allowlist: { type: ['array', 'null'], items: string }, cors_origins: strings, enabled: { type: 'boolean' },
    token_version: integer, token_quota: nullableString, tenant_token_quota: nullableString, created_at: time, updated_at: time,
    token_endpoint_auth_method: { type: 'string', enum: ['client_secret_basic', 'private_key_jwt', 'none'], description: 'none: a public app client' },
    jwks: { type: ['object', 'null'] }, jwks_uri: nullableString, dpop_bound_access_tokens: { type: 'boolean' },
    token_exchange: { type: ['object', 'null'] },
    introspect_audiences: { ...strings, description: 'audiences whose tokens and API keys of its tenant this client may introspect' },
    public: { type: 'boolean', description: 'app clients only: no secret, PKCE is its only proof' },
    redirect_uris: { ...strings, description: 'app clients only' },
    post_logout_redirect_uris: { ...strings, description: 'app clients only' },
  }, ['client_id', 'tenant_id', 'name', 'enabled']),
  ClientWithSecret: {
    allOf: [{ $ref: '#/components/schemas/Client' }, object({ client_secret: { type: 'string', description: 'shown only in this response; absent for a private_key_jwt client' } }, [])],
  },
  AppClientWithSecret: {
    allOf: [{ $ref: '#/components/schemas/Client' }, object({
      client_secret: { type: 'string', description: 'shown only in this response; absent for a public client' },
      token_endpoint_auth_method: { type: 'string', enum: ['client_secret_basic', 'none'] },
      redirect_uris: strings, post_logout_redirect_uris: strings,
    }, ['token_endpoint_auth_method', 'redirect_uris', 'post_logout_redirect_uris'])],
  },
  User: object({ id: string, tenant_id: string, tenant_slug: string, email: string, roles: strings, enabled: { type: 'boolean' }, created_at: time, updated_at: time }),
  UserWithPassword: {
    allOf: [{ $ref: '#/components/schemas/User' }, object({ password: { type: 'string', description: 'the generated password: shown only in this response; absent when the request gave one' } }, [])],
  },
  ApiKey: object({
    id: string, tenant_id: string, tenant_slug: string, env: { type: 'string', enum: ['live', 'test'] }, name: string, scopes: strings,
    resources: { ...strings, description: 'the resource servers the key is for: its introspection answer\'s aud' },
    created_by: nullableString, created_at: time, expires_at: nullableTime, revoked_at: nullableTime, last_used_at: nullableTime,
    rotated_at: nullableTime, replaced_by: nullableString, status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
  }, ['id', 'tenant_id', 'name', 'status']),
  IssuedApiKey: {
    allOf: [{ $ref: '#/components/schemas/ApiKey' }, object({ key: { type: 'string', description: 'tg_<env>_<id>_<secret>: shown only in this response' } })],
  },
  RotatedApiKey: {
    allOf: [{ $ref: '#/components/schemas/IssuedApiKey' }, object({ previous: { $ref: '#/components/schemas/ApiKey' } })],
  },
  SigningKey: object({
    kid: string, alg: string, state: { type: 'string', enum: ['next', 'active', 'retiring', 'retired', 'revoked'] }, created_at: time,
    activated_at: nullableTime, retiring_at: nullableTime, retire_after: nullableTime, retired_at: nullableTime, revoked_at: nullableTime,
  }, ['kid', 'alg', 'state']),
  KeyRotation: object({ activated: string, retiring: string, next: string, announced: { type: 'boolean' } }),
  KeyRevocation: object({ revoked: string, previous_state: string, activated: string, next: string, announced: { type: 'boolean' } }, ['revoked', 'previous_state', 'announced']),
  AuditEvent: object({
    id: integer, at: time, type: string, actor: { type: 'string', description: 'cli, server, or the admin client id' },
    tenant_id: nullableString, subject: nullableString, detail: { type: ['object', 'null'] },
  }),
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

function responseSchema(route: CompiledRoute): Schema {
  const item = { $ref: `#/components/schemas/${route.response.ref}` };
  if (!route.response.list) return item;
  const data = { type: 'array', items: item };
  return route.response.list === 'page'
    ? object({ data, next_cursor: { type: ['string', 'null'], description: 'null on the last page' } })
    : object({ data });
}

function operation(route: CompiledRoute): Schema {
  const parameters = [
    ...route.parameterNames.map((name) => ({ name, in: 'path', required: true, schema: string })),
    ...Object.entries(route.query ?? {}).map(([name, parameter]) => ({
      name, in: 'query', required: false, description: parameter.description, schema: { type: 'string', pattern: parameter.pattern, maxLength: parameter.maxLength },
    })),
    ...(route.idempotent
      ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'Retrying with the same key and body returns the first response (24 h)', schema: { type: 'string', maxLength: 255 } }]
      : []),
  ];
  const scopes = route.access === 'admin' ? [ADMIN_SCOPE] : [ADMIN_SCOPE, TENANT_ADMIN_SCOPE];
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: scopes.map((scope) => ({ bearer: [scope] })),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema2020(route.body) } } } } : {}),
    responses: {
      [String(route.status)]: {
        description: route.returnsSecret ? 'Success; the response holds a secret that is never shown again' : 'Success',
        content: { 'application/json': { schema: responseSchema(route) } },
      },
      400: errorResponse('invalid_request: the body or a parameter is invalid (the description names the field)'),
      401: errorResponse('invalid_token: no token, or an invalid, expired or revoked one (see WWW-Authenticate)'),
      403: errorResponse('insufficient_scope'),
      404: errorResponse('not_found: no such object in the tenants the token may see'),
      ...(route.idempotent || route.method !== 'GET' ? { 409: errorResponse('conflict') } : {}),
    },
  };
}

/** The OpenAPI 3.1 document of every admin route, built from the route table and its request schemas. */
export function openApiDocument(routes: readonly CompiledRoute[], issuer: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tollgate admin API',
      version: '1',
      description:
        `Bearer access tokens from ${issuer}/token (client_credentials, resource=${ADMIN_AUDIENCE}). ` +
        `${ADMIN_SCOPE}: everything; ${TENANT_ADMIN_SCOPE}: the token's own tenant only.`,
    },
    servers: [{ url: `${issuer}/admin/v1` }],
    paths,
    components: {
      schemas: RESPONSE_SCHEMAS,
      securitySchemes: {
        bearer: {
          type: 'oauth2',
          description: 'JWT access token for the admin API audience',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { [ADMIN_SCOPE]: 'every tenant and global objects', [TENANT_ADMIN_SCOPE]: "the token's own tenant only" } } },
        },
      },
    },
  };
}
