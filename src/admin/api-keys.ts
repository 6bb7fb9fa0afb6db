import { parseDuration, type ApiKeyView } from '../api-keys/index.js';
import { invalidRequest } from '../errors.js';
import { refuseAdminAudience } from './audience.js';
import { refuseEscalation } from './clients.js';
import { page, scopeOf, TENANT_QUERY, tenantForCreate, type AdminServices } from './context.js';
import { route, type CompiledRoute } from './route.js';
import { createApiKeyBody, rotateApiKeyBody } from './schemas.js';

const TAG = 'API keys';

/** The key is in this response and nowhere else, ever (as in `tollgate api-keys create`). */
const issued = ({ apiKey, key }: { apiKey: ApiKeyView; key: string }) => ({ key, ...apiKey });

/**
 * API keys of one tenant. The repository records the audit events itself
 * (api_key.created/revoked/rotated), with the admin client as the actor.
 */
export function apiKeyRoutes(services: AdminServices): CompiledRoute[] {
  const keys = services.apiKeys;
  return [
    route({
      method: 'GET', path: '/api-keys', operationId: 'listApiKeys', summary: 'List API keys (never a key or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ApiKey', list: 'array' }, query: TENANT_QUERY,
      handle: async ({ caller, query }) => page(await keys.list({ ...(query['tenant'] ? { tenant: query['tenant'] } : {}), scope: scopeOf(caller) })),
    }),
    route({
      method: 'POST', path: '/api-keys', operationId: 'createApiKey', summary: 'Create an API key; the response holds the key, shown only this once', tag: TAG,
      access: 'tenant', body: createApiKeyBody, idempotent: true, status: 201, response: { ref: 'IssuedApiKey' }, returnsSecret: true,
      handle: async ({ ctx, caller, body }) => {
        refuseEscalation(ctx, caller, body.scopes);
        refuseAdminAudience(body.resources);
        const tenant = await tenantForCreate(services, caller, body.tenant);
        return issued(
          await keys.create({
            tenant: tenant.id,
            name: body.name,
            resources: body.resources,
            scopes: body.scopes,
            ...(body.expires_in ? { expiresIn: body.expires_in } : {}),
            ...(body.env ? { env: body.env } : {}),
            createdBy: caller.clientId,
          }),
        );
      },
    }),
    route({
      method: 'GET', path: '/api-keys/{apiKeyId}', operationId: 'getApiKey', summary: 'Read an API key (never the key or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ApiKey' },
      handle: async ({ caller, params }) => keys.get(params['apiKeyId']!, scopeOf(caller)),
    }),
    route({
      method: 'POST', path: '/api-keys/{apiKeyId}/revoke', operationId: 'revokeApiKey', summary: 'Revoke an API key at once', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ApiKey' },
      handle: async ({ caller, params }) => keys.revoke(params['apiKeyId']!, { scope: scopeOf(caller), actor: caller.clientId }),
    }),
    route({
      method: 'POST', path: '/api-keys/{apiKeyId}/rotate', operationId: 'rotateApiKey', summary: 'Replace an API key; the old one keeps working for `overlap`', tag: TAG,
      access: 'tenant', body: rotateApiKeyBody, status: 200, response: { ref: 'RotatedApiKey' }, returnsSecret: true,
      handle: async ({ caller, params, body }) => {
        const overlap = parseDuration(body.overlap, 'overlap');
        if (overlap === null) throw invalidRequest('overlap must be a duration such as 7d (not never)');
        const { previous, ...next } = await keys.rotate(params['apiKeyId']!, { overlap }, { scope: scopeOf(caller), actor: caller.clientId });
        return { ...issued(next), previous };
      },
    }),
  ];
}
