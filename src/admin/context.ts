import type { KeyStore } from '../../keys/key-store.js';
import type { ApiKeyRepository } from '../api-keys/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { adminActor, type Services } from '../services/index.js';
import { scopeOf as actorScope } from '../services/actor.js';
import { invalidRequest } from '../errors.js';
import type { Registry } from '../registry/index.js';
import type { TenantScope } from '../registry/tenant-scope.js';
import type { Tenant } from '../registry/tenants.js';
import type { UserRepository } from '../users/index.js';
import type { AdminCaller } from './auth.js';

/** The services the admin API drives: the same ones the CLI uses. */
export interface AdminServices {
  readonly registry: Registry;
  readonly apiKeys: ApiKeyRepository;
  readonly keyStore: KeyStore;
  readonly audit: AuditLog;
  /** The people who sign in to tenants' apps (authorization code). */
  readonly users: UserRepository;
  /** Every change goes through these, as the CLI's do (validate, write and audit in one transaction). */
  readonly services: Services;
  /**
   * After a signing-key change: swap this instance's provider now and tell
   * the others (Redis); resolves to whether they were told (otherwise they
   * notice within their key poll interval).
   */
  readonly keysChanged: () => Promise<boolean>;
}

/** Undefined for a global admin (every tenant); the caller's own tenant otherwise: as the services scope its changes. */
export const scopeOf = (caller: AdminCaller): TenantScope | undefined => actorScope(adminActor(caller));

/**
 * The tenant a create goes to. A global admin names it; a tenant admin's
 * objects always go to their own tenant, and naming any other tenant is
 * answered exactly like naming one that does not exist, so the answer
 * does not reveal which other tenants exist.
 */
export async function tenantForCreate(services: AdminServices, caller: AdminCaller, reference: string | undefined): Promise<Tenant> {
  if (reference === undefined && !caller.global) reference = caller.tenantId;
  if (reference === undefined) throw invalidRequest('tenant is required');
  return visibleTenant(services, caller, reference, invalidRequest);
}

/**
 * The tenant by slug or id as `caller` may see it: every tenant for a
 * global admin, only their own for a tenant admin; any other is answered
 * with `refuse` exactly like one that does not exist (404 for a read, 400
 * where the tenant is an input).
 */
export async function visibleTenant(
  services: Pick<AdminServices, 'registry'>,
  caller: Pick<AdminCaller, 'global' | 'tenantId'>,
  reference: string,
  refuse: (description: string) => Error,
): Promise<Tenant> {
  const tenant = await services.registry.tenants.findBySlugOrId(reference);
  if (!tenant || (!caller.global && tenant.id !== caller.tenantId)) throw refuse(`tenant ${reference} does not exist`);
  return tenant;
}

/** The `tenant` query parameter of list routes: a slug or id. */
export const TENANT_QUERY = { tenant: { description: 'Only this tenant (slug or id)', pattern: '^[A-Za-z0-9-]{1,64}$', maxLength: 64 } } as const;

/** A list answer: `data`, plus the cursor of the next page where lists are paginated. */
export const page = <T>(data: readonly T[], nextCursor?: string | null) => ({ data, ...(nextCursor !== undefined ? { next_cursor: nextCursor } : {}) });
