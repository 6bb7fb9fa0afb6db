import { changeDetail, snapshot } from '../audit/changes.js';
import { TENANT_FIELDS } from '../registry/tenants.js';
import { notFound } from '../errors.js';
import { recordAdminChange } from './audit.js';
import type { AdminCaller } from './auth.js';
import { page, visibleTenant, type AdminServices } from './context.js';
import { route, type CompiledRoute } from './route.js';
import { createTenantBody, updateTenantBody } from './schemas.js';

const TAG = 'Tenants';

/** Tenants: every admin reads its own; only a global admin creates or changes them. */
export function tenantRoutes(services: AdminServices): CompiledRoute[] {
  const { registry, audit } = services;
  const visible = (reference: string, caller: AdminCaller) => visibleTenant(services, caller, reference, notFound);
  return [
    route({
      method: 'GET', path: '/tenants', operationId: 'listTenants', summary: 'List tenants (a tenant admin sees only their own)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Tenant', list: 'array' },
      handle: async ({ caller }) => page(caller.global ? await registry.tenants.list() : [await visible(caller.tenantId, caller)]),
    }),
    route({
      method: 'POST', path: '/tenants', operationId: 'createTenant', summary: 'Create a tenant', tag: TAG,
      access: 'admin', body: createTenantBody, idempotent: true, status: 201, response: { ref: 'Tenant' },
      handle: async ({ caller, body }) => {
        const tenant = await registry.tenants.create(body);
        await recordAdminChange(audit, caller, { type: 'tenant.created', tenantId: tenant.id, subject: tenant.slug, detail: snapshot(tenant, TENANT_FIELDS) });
        return tenant;
      },
    }),
    route({
      method: 'GET', path: '/tenants/{tenant}', operationId: 'getTenant', summary: 'Read a tenant by slug or id', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Tenant' },
      handle: async ({ caller, params }) => visible(params['tenant']!, caller),
    }),
    route({
      method: 'PATCH', path: '/tenants/{tenant}', operationId: 'updateTenant', summary: "Change a tenant's token quota", tag: TAG,
      access: 'admin', body: updateTenantBody, status: 200, response: { ref: 'Tenant' },
      handle: async ({ caller, params, body }) => {
        const before = await visible(params['tenant']!, caller);
        const tenant = await registry.tenants.update(before.id, body);
        await recordAdminChange(audit, caller, { type: 'tenant.updated', tenantId: tenant.id, subject: tenant.slug, detail: changeDetail(before, tenant, TENANT_FIELDS) });
        return tenant;
      },
    }),
  ];
}
