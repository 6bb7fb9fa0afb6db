import { parseDuration } from '../api-keys/index.js';
import { invalidRequest } from '../errors.js';
import { adminActor } from '../services/index.js';
import { refuseEscalation } from './clients.js';
import { page, scopeOf, TENANT_QUERY, tenantForCreate, type AdminServices } from './context.js';
import { apiKeyOf, issuedKey } from './presenters.js';
import { route, type CompiledRoute } from './route.js';
import { createApiKeyBody, rotateApiKeyBody } from './schemas.js';

const TAG = 'API keys';

/**
 * API keys of one tenant, changed through the API-key service with the
 * admin client as the actor (api_key.created/revoked/rotated).
 */
export function apiKeyRoutes(services: AdminServices): CompiledRoute[] {
  const keys = services.apiKeys;
  const { apiKeys } = services.services;
  return [
    route({
      method: 'GET', path: '/api-keys', operationId: 'listApiKeys', summary: 'List API keys (never a key or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ApiKey', list: 'array' }, query: TENANT_QUERY,
      handle: async ({ caller, query }) => page((await keys.list({ ...(query['tenant'] ? { tenant: query['tenant'] } : {}), scope: scopeOf(caller) })).map(apiKeyOf)),
    }),
    route({
      method: 'POST', path: '/api-keys', operationId: 'createApiKey', summary: 'Create an API key; the response holds the key, shown only this once', tag: TAG,
      access: 'tenant', body: createApiKeyBody, idempotent: true, status: 201, response: { ref: 'IssuedApiKey' }, returnsSecret: true,
      handle: async ({ ctx, caller, body }) => {
        refuseEscalation(ctx, caller, body.scopes);
        const tenant = await tenantForCreate(services, caller, body.tenant);
        return issuedKey(
          await apiKeys.create(adminActor(caller), {
            tenant: tenant.id,
            name: body.name,
            resources: body.resources,
            scopes: body.scopes,
            ...(body.expires_in ? { expiresIn: body.expires_in } : {}),
            ...(body.env ? { env: body.env } : {}),
          }),
        );
      },
    }),
    route({
      method: 'GET', path: '/api-keys/{apiKeyId}', operationId: 'getApiKey', summary: 'Read an API key (never the key or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ApiKey' },
      handle: async ({ caller, params }) => apiKeyOf(await keys.get(params['apiKeyId']!, scopeOf(caller))),
    }),
    route({
      method: 'POST', path: '/api-keys/{apiKeyId}/revoke', operationId: 'revokeApiKey', summary: 'Revoke an API key at once', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ApiKey' },
      handle: async ({ caller, params }) => apiKeyOf(await apiKeys.revoke(adminActor(caller), params['apiKeyId']!)),
    }),
    route({
      method: 'POST', path: '/api-keys/{apiKeyId}/rotate', operationId: 'rotateApiKey', summary: 'Replace an API key; the old one keeps working for `overlap`', tag: TAG,
      access: 'tenant', body: rotateApiKeyBody, status: 200, response: { ref: 'RotatedApiKey' }, returnsSecret: true,
      handle: async ({ caller, params, body }) => {
        const overlap = parseDuration(body.overlap, 'overlap');
        if (overlap === null) throw invalidRequest('overlap must be a duration such as 7d (not never)');
        const { previous, ...next } = await apiKeys.rotate(adminActor(caller), params['apiKeyId']!, overlap);
        return { ...issuedKey(next), previous: apiKeyOf(previous) };
      },
    }),
  ];
}
