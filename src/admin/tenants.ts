import { notFound } from '../errors.js';
import { adminActor } from '../services/index.js';
import type { AdminCaller } from './auth.js';
import { page, visibleTenant, type AdminServices } from './context.js';
import { snakeCased } from './presenters.js';
import { route, type CompiledRoute } from './route.js';
import { createTenantBody, updateTenantBody } from './schemas.js';

const TAG = 'Tenants';

/** Tenants: every admin reads its own; only a global admin creates or changes them. */
export function tenantRoutes(services: AdminServices): CompiledRoute[] {
  const { registry } = services;
  const { tenants } = services.services;
  const visible = (reference: string, caller: AdminCaller) => visibleTenant(services, caller, reference, notFound);
  return [
    route({
      method: 'GET', path: '/tenants', operationId: 'listTenants', summary: 'List tenants (a tenant admin sees only their own)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Tenant', list: 'array' },
      handle: async ({ caller }) => page((caller.global ? await registry.tenants.list() : [await visible(caller.tenantId, caller)]).map(snakeCased)),
    }),
    route({
      method: 'POST', path: '/tenants', operationId: 'createTenant', summary: 'Create a tenant', tag: TAG,
      access: 'admin', body: createTenantBody, idempotent: true, status: 201, response: { ref: 'Tenant' },
      handle: async ({ caller, body }) => snakeCased(await tenants.create(adminActor(caller), body)),
    }),
    route({
      method: 'GET', path: '/tenants/{tenant}', operationId: 'getTenant', summary: 'Read a tenant by slug or id', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Tenant' },
      handle: async ({ caller, params }) => snakeCased(await visible(params['tenant']!, caller)),
    }),
    route({
      method: 'PATCH', path: '/tenants/{tenant}', operationId: 'updateTenant', summary: "Change a tenant's token quota", tag: TAG,
      access: 'admin', body: updateTenantBody, status: 200, response: { ref: 'Tenant' },
      handle: async ({ caller, params, body }) => {
        const tenant = await visible(params['tenant']!, caller);
        return snakeCased(await tenants.update(adminActor(caller), tenant.id, body));
      },
    }),
  ];
}
