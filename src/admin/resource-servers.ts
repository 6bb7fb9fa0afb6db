import { snapshot } from '../audit/changes.js';
import { RESOURCE_FIELDS } from '../registry/resources.js';
import { recordAdminChange } from './audit.js';
import { page, type AdminServices } from './context.js';
import { route, type CompiledRoute } from './route.js';
import { createResourceBody } from './schemas.js';

const TAG = 'Resource servers';

/**
 * Resource servers are shared by all tenants: a tenant admin reads them
 * (to know which audiences and scopes a client can be given); only a
 * global admin registers one.
 */
export function resourceServerRoutes({ registry, audit }: AdminServices): CompiledRoute[] {
  return [
    route({
      method: 'GET', path: '/resource-servers', operationId: 'listResourceServers', summary: 'List resource servers', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ResourceServer', list: 'array' },
      handle: async () => page(await registry.resources.list()),
    }),
    route({
      method: 'POST', path: '/resource-servers', operationId: 'createResourceServer', summary: 'Register a resource server (an audience with its scopes)', tag: TAG,
      access: 'admin', body: createResourceBody, idempotent: true, status: 201, response: { ref: 'ResourceServer' },
      handle: async ({ caller, body }) => {
        const resource = await registry.resources.create(body);
        await recordAdminChange(audit, caller, { type: 'resource.created', subject: resource.audience, detail: snapshot(resource, RESOURCE_FIELDS) });
        return resource;
      },
    }),
  ];
}
