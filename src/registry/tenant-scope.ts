/**
 * Limits a repository call to one tenant's rows. The tenant is part of the
 * query itself (`WHERE tenant_id = …`), not a check after the read, so a
 * tenant administrator's request cannot read or change another tenant's
 * object even through a code path that forgets to check; a row outside the
 * scope is indistinguishable from a row that does not exist (404).
 */
export interface TenantScope {
  readonly tenantId: string;
}
