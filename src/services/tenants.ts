import { changeDetail, snapshot } from '../audit/changes.js';
import type { Registry } from '../registry/index.js';
import type { CreateTenantInput, Tenant, UpdateTenantInput } from '../registry/tenants.js';
import type { Actor } from './actor.js';
import { audited } from './audit.js';

/** Tenant fields an audit event records. */
export const TENANT_FIELDS = ['slug', 'name', 'tokenQuota'] as const;

export interface TenantService {
  /** `tenant.created`. */
  create(actor: Actor, input: CreateTenantInput): Promise<Tenant>;
  /** `tenant.updated`, with the fields that changed; `reference` is a slug or id. */
  update(actor: Actor, reference: string, input: UpdateTenantInput): Promise<Tenant>;
}

export function tenantService({ registry, clock }: { registry: Pick<Registry, 'tenants'>; clock: () => number }): TenantService {
  const { tenants } = registry;
  return {
    create: (actor, input) =>
      tenants.create(input, audited(actor, clock, (tenant) => ({ type: 'tenant.created', tenantId: tenant.id, subject: tenant.slug, detail: snapshot(tenant, TENANT_FIELDS) }))),
    async update(actor, reference, input) {
      const before = await tenants.findBySlugOrId(reference);
      return tenants.update(reference, input, audited(actor, clock, (tenant) => ({
        type: 'tenant.updated',
        tenantId: tenant.id,
        subject: tenant.slug,
        detail: before ? changeDetail(before, tenant, TENANT_FIELDS) : snapshot(tenant, TENANT_FIELDS),
      })));
    },
  };
}
