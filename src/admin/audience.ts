import { invalidRequest } from '../errors.js';
import type { Registry } from '../registry/index.js';
import { EVERY_TENANT, type ResourceServer } from '../registry/resources.js';

/**
 * The admin API is a resource server like any other: its tokens come from
 * Tollgate's own /token endpoint with this audience. A URN rather than a URL
 * under the issuer, so tokens and admin clients survive an issuer change.
 */
export const ADMIN_AUDIENCE = 'urn:tollgate:admin';

/** Everything, in every tenant (tenants, resource servers, signing keys included). */
export const ADMIN_SCOPE = 'tollgate:admin';
/** Clients, API keys and audit events of the token's own tenant only. */
export const TENANT_ADMIN_SCOPE = 'tollgate:tenant-admin';

/**
 * Registers the admin API's resource server when it is missing: at every
 * start and before `clients create --admin`. Several processes may start
 * at once; one insert wins and the others find its row.
 */
export async function ensureAdminResource(registry: Pick<Registry, 'resources'>): Promise<ResourceServer> {
  const existing = await registry.resources.findByAudience(ADMIN_AUDIENCE);
  if (existing) return existing;
  try {
    return await registry.resources.create({
      audience: ADMIN_AUDIENCE,
      name: 'Tollgate admin API',
      scopes: [ADMIN_SCOPE, TENANT_ADMIN_SCOPE],
      token_format: 'jwt',
      // Every tenant's admins get tokens for it: the scopes decide what they may do.
      shared_with: [EVERY_TENANT],
    });
  } catch (error) {
    // Another process inserted it first. The lookup above cached this
    // process's miss, so read past the cache.
    const raced = (await registry.resources.list()).find((resource) => resource.audience === ADMIN_AUDIENCE);
    if (raced) return raced;
    throw error;
  }
}

/**
 * The admin API accepts access tokens only: an API key for its audience
 * would be a long-lived admin credential that nothing checks, so none is
 * issued (CLI and admin API alike).
 */
export function refuseAdminAudience(audiences: readonly string[]): void {
  if (audiences.includes(ADMIN_AUDIENCE)) throw invalidRequest(`API keys cannot be issued for ${ADMIN_AUDIENCE}: the admin API accepts access tokens only`);
}
