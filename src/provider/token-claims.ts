import type { AccessToken, ClientCredentials, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { UserRepository } from '../users/index.js';

const isRoleList = (value: unknown): value is string[] => Array.isArray(value) && value.every((role) => typeof role === 'string');

/**
 * Claims every access token carries besides RFC 9068's: the tenant (id and
 * slug), the roles, and the client's token version at issue time, which is
 * how `revoke-tokens` deactivates tokens already handed out. A machine
 * token carries its client's roles; a user's token (with `users`, the
 * authorization-code flow) its user's, and the tenant of its client, which
 * is the user's (see findAccount in authorization-code.ts). For opaque
 * tokens the provider stores these with the token, so introspection
 * returns them too.
 */
export function tokenClaims(users: UserRepository | undefined): NonNullable<Configuration['extraTokenClaims']> {
  return async (ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials) => {
    const client = token.client ?? ctx.oidc.client;
    if (!client?.tenant_id) return undefined;
    const claims = { tenant_id: client.tenant_id, tenant: client.tenant, roles: client.roles, token_version: client.token_version };
    const accountId = token.kind === 'AccessToken' ? token.accountId : undefined;
    if (!users || !accountId) return claims;
    // The grant has usually just loaded the account (findAccount puts its roles on it): no second query then.
    const account = ctx.oidc.account;
    const roles = account?.accountId === accountId && isRoleList(account['roles']) ? account['roles'] : (await users.findById(accountId))?.roles;
    return { ...claims, roles: roles ?? [] };
  };
}
