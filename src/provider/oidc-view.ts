import type { ParameterizedContext } from 'koa';

/**
 * The part of oidc-provider's per-request `ctx.oidc` the host reads after
 * the provider answered. Standard client metadata is camelCased on the model
 * (`clientId`); Tollgate's extras keep their names (`tenant_id`).
 */
export interface OidcView {
  route?: string;
  client?: { clientId?: string; tenant_id?: unknown; introspect_audiences?: unknown };
  entities?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

/** `ctx.oidc`, set once a request reached the provider; undefined otherwise. */
export const oidcOf = (ctx: Pick<ParameterizedContext, 'state'>): OidcView | undefined => (ctx as unknown as { oidc?: OidcView }).oidc;
