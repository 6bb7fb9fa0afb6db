import type { ShareResourceInput } from '../registry/resources.js';
import { adminActor } from '../services/index.js';
import { ADMIN_SCOPE } from './audience.js';
import { insufficientScope } from './auth.js';
import { page, type AdminServices } from './context.js';
import { snakeCased } from './presenters.js';
import { route, type CompiledRoute } from './route.js';
import { createResourceBody, shareResourceBody } from './schemas.js';

const TAG = 'Resource servers';

/**
 * Resource servers belong to a tenant, or to no tenant (a global admin's),
 * and are used by other tenants only when a global admin shares them by
 * name. A tenant admin sees the ones its tenant may use and registers its
 * tenant's own; only a global admin registers owner-less ones or shares.
 */
export function resourceServerRoutes({ registry, services }: AdminServices): CompiledRoute[] {
  const { resources } = services;
  return [
    route({
      method: 'GET', path: '/resource-servers', operationId: 'listResourceServers', summary: 'List resource servers (a tenant admin: those its tenant may use)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'ResourceServer', list: 'array' },
      handle: async ({ caller }) => page((await registry.resources.list(caller.global ? {} : { usableBy: caller.tenantId })).map(snakeCased)),
    }),
    route({
      method: 'POST', path: '/resource-servers', operationId: 'createResourceServer',
      summary: "Register a resource server (an audience with its scopes); a tenant admin's belongs to its tenant", tag: TAG,
      access: 'tenant', body: createResourceBody, idempotent: true, status: 201, response: { ref: 'ResourceServer' },
      handle: async ({ ctx, caller, body }) => {
        // Sharing reaches into other tenants: a global admin's decision only.
        if (!caller.global && body.shared_with?.length) throw insufficientScope(ctx, ADMIN_SCOPE);
        return snakeCased(await resources.create(adminActor(caller), body));
      },
    }),
    route<ShareResourceInput>({
      method: 'POST', path: '/resource-servers/{resourceServerId}/share', operationId: 'shareResourceServer',
      summary: 'Set the tenants (besides its owner) that may grant its scopes; `*` for every tenant', tag: TAG,
      access: 'admin', body: shareResourceBody, status: 200, response: { ref: 'ResourceServer' },
      handle: async ({ caller, params, body }) => snakeCased(await resources.share(adminActor(caller), params['resourceServerId']!, body)),
    }),
  ];
}
