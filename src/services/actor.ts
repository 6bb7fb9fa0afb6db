import type { TenantScope } from '../registry/tenant-scope.js';

/**
 * Who makes a change: the operator at the CLI, or an admin API client. An
 * admin client that is not global acts only on its own tenant's objects.
 */
export type Actor =
  | { readonly kind: 'cli' }
  | { readonly kind: 'admin'; readonly clientId: string; readonly tenantId: string; readonly global: boolean };

/** The CLI operator: every tenant. */
export const CLI_ACTOR: Actor = { kind: 'cli' };

/** An admin API caller as an actor. */
export const adminActor = (caller: { clientId: string; tenantId: string; global: boolean }): Actor => ({
  kind: 'admin',
  clientId: caller.clientId,
  tenantId: caller.tenantId,
  global: caller.global,
});

/** The audit log's name for the actor: `cli`, or the admin client's id. */
export const actorName = (actor: Actor): string => (actor.kind === 'cli' ? 'cli' : actor.clientId);

/** Undefined for the CLI and a global admin (every tenant); the admin client's own tenant otherwise. */
export const scopeOf = (actor: Actor): TenantScope | undefined =>
  actor.kind === 'admin' && !actor.global ? { tenantId: actor.tenantId } : undefined;
