import type { KoaContextWithOIDC } from 'oidc-provider';
import type { TollgateClientMetadata } from './registry-client-adapter.js';

interface TokenWithClient {
  client?: unknown;
  clientId?: string;
}

/**
 * Claims every access token carries besides RFC 9068's: the tenant (id and
 * slug), the client's roles, and the client's token version at issue time,
 * which is how `revoke-tokens` deactivates tokens already handed out.
 * For opaque tokens the provider stores these with the token, so
 * introspection returns them too.
 */
export async function extraTokenClaims(ctx: KoaContextWithOIDC, token: TokenWithClient) {
  const client = (token.client ?? ctx.oidc.client) as TollgateClientMetadata | undefined;
  if (!client?.tenant_id) return undefined;
  return {
    tenant_id: client.tenant_id,
    tenant: client.tenant,
    roles: client.roles,
    token_version: client.token_version,
  };
}
